import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Pushing the trail to a SIEM: per sink (`nats`, `http`), the chain position (`seq`) of
// the last event the sink acknowledged. The deliverer advances it only after the ack,
// so a crash re-sends and never skips; the trail itself stays the source of truth.
// `last_error` says why the last attempt failed (null once one succeeds).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE audit_delivery (
      sink text PRIMARY KEY CHECK (length(sink) BETWEEN 1 AND 64),
      last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
      updated_at timestamptz NOT NULL DEFAULT now(),
      last_error text CHECK (length(last_error) <= 1000)
    )`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, UPDATE ON audit_delivery TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE audit_delivery`.execute(db);
}
