import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// The read-budget check in one round trip instead of six (BEGIN, settings, lock, count,
// upsert, COMMIT). Statements inside a volatile function each take a fresh snapshot, so
// the count runs after the per-person lock is held and sees every earlier upsert.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION fieldguard_count_and_record_reads(
      p_actor text, p_ids text[], p_since timestamptz, p_at timestamptz, p_budget integer, p_record_over boolean
    ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      seen integer;
    BEGIN
      -- Losing this bookkeeping in a crash only undercounts a budget; the read's own
      -- audit row stays durable, so no need to wait for this commit's WAL flush.
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

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION fieldguard_count_and_record_reads(text, text[], timestamptz, timestamptz, integer, boolean)`.execute(db);
}
