import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// When each person last read each customer: the read-budget count looks up at most one
// row per customer read in the window, instead of unnesting every audit event the
// person produced in it (which grows with every request an integration account makes).
// Starts empty: budgets count from the deployment of this migration on.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE customer_reads (
      actor_sub text NOT NULL,
      customer_id text NOT NULL,
      last_read_at timestamptz NOT NULL,
      PRIMARY KEY (actor_sub, customer_id)
    )`.execute(db);
  await sql`CREATE INDEX customer_reads_recent ON customer_reads (actor_sub, last_read_at)`.execute(db);
  await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON customer_reads TO fieldguard_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE customer_reads`.execute(db);
}
