import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Read budgets count each stored resource on its own (`readBudget: { customers: 100,
// patients: 50, ... }`). customer_reads keeps its name and now holds the reads of every
// budgeted resource: `resource_type` says which (existing rows are Customer reads), and
// `customer_id` holds the record's id. The count and its index range are per person and
// resource type; the per-person lock stays, so one person's requests are still counted one
// at a time whatever they read.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE customer_reads ADD COLUMN resource_type text NOT NULL DEFAULT 'Customer'`.execute(db);
  await sql`ALTER TABLE customer_reads DROP CONSTRAINT customer_reads_pkey`.execute(db);
  await sql`ALTER TABLE customer_reads ADD CONSTRAINT customer_reads_pkey PRIMARY KEY (actor_sub, resource_type, customer_id)`.execute(db);
  await sql`DROP INDEX customer_reads_recent`.execute(db);
  await sql`CREATE INDEX customer_reads_recent ON customer_reads (actor_sub, resource_type, last_read_at)`.execute(db);
  await sql`DROP FUNCTION fieldguard_count_and_record_reads(text, text[], timestamptz, timestamptz, integer, boolean)`.execute(db);
  await sql`
    CREATE FUNCTION fieldguard_count_and_record_reads(
      p_actor text, p_resource text, p_ids text[], p_since timestamptz, p_at timestamptz, p_budget integer, p_record_over boolean
    ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      seen integer;
    BEGIN
      -- Losing this bookkeeping in a crash only undercounts a budget; the read's own
      -- audit row stays durable, so no need to wait for this commit's WAL flush.
      PERFORM set_config('synchronous_commit', 'off', true);
      PERFORM pg_advisory_xact_lock(7201, hashtext(p_actor));
      SELECT count(*) INTO seen FROM (
        SELECT customer_id FROM customer_reads
        WHERE actor_sub = p_actor AND resource_type = p_resource AND last_read_at > p_since
        UNION
        SELECT unnest(p_ids)
      ) AS s;
      IF seen <= p_budget OR p_record_over THEN
        INSERT INTO customer_reads (actor_sub, resource_type, customer_id, last_read_at)
        SELECT p_actor, p_resource, id, p_at FROM (SELECT DISTINCT unnest(p_ids) AS id) AS ids ORDER BY id
        ON CONFLICT (actor_sub, resource_type, customer_id)
        DO UPDATE SET last_read_at = greatest(customer_reads.last_read_at, excluded.last_read_at);
      END IF;
      RETURN seen;
    END
    $$`.execute(db);
}

// Back to customer budgets only: the reads of other resources are dropped.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION fieldguard_count_and_record_reads(text, text, text[], timestamptz, timestamptz, integer, boolean)`.execute(db);
  await sql`DELETE FROM customer_reads WHERE resource_type <> 'Customer'`.execute(db);
  await sql`DROP INDEX customer_reads_recent`.execute(db);
  await sql`ALTER TABLE customer_reads DROP CONSTRAINT customer_reads_pkey`.execute(db);
  await sql`ALTER TABLE customer_reads DROP COLUMN resource_type`.execute(db);
  await sql`ALTER TABLE customer_reads ADD CONSTRAINT customer_reads_pkey PRIMARY KEY (actor_sub, customer_id)`.execute(db);
  await sql`CREATE INDEX customer_reads_recent ON customer_reads (actor_sub, last_read_at)`.execute(db);
  await sql`
    CREATE FUNCTION fieldguard_count_and_record_reads(
      p_actor text, p_ids text[], p_since timestamptz, p_at timestamptz, p_budget integer, p_record_over boolean
    ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      seen integer;
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      PERFORM pg_advisory_xact_lock(7201, hashtext(p_actor));
      SELECT count(*) INTO seen FROM (
        SELECT customer_id FROM customer_reads WHERE actor_sub = p_actor AND last_read_at > p_since
        UNION
        SELECT unnest(p_ids)
      ) AS s;
      IF seen <= p_budget OR p_record_over THEN
        INSERT INTO customer_reads (actor_sub, customer_id, last_read_at)
        SELECT p_actor, id, p_at FROM (SELECT DISTINCT unnest(p_ids) AS id) AS ids ORDER BY id
        ON CONFLICT (actor_sub, customer_id)
        DO UPDATE SET last_read_at = greatest(customer_reads.last_read_at, excluded.last_read_at);
      END IF;
      RETURN seen;
    END
    $$`.execute(db);
}
