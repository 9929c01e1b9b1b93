import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Legal holds: a record (of any stored resource, by its name and id as text) that must
// not be erased while a hold is active (not released, and `until` not passed). One active
// hold per record; placing it again replaces its reason and end. Released holds stay, as
// the record of who held what and when.
//
// Erasures: one row per erasure of a person (GDPR Art. 17), naming the audit event that
// proves it and the reason given. The reason is the operator's own words, kept here and
// out of the audit trail (which holds ids and field names only).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE legal_holds (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      resource_type text NOT NULL,
      record_id text NOT NULL,
      reason text NOT NULL,
      until timestamptz,
      placed_by text NOT NULL,
      placed_at timestamptz NOT NULL DEFAULT now(),
      released_by text,
      released_at timestamptz,
      CHECK ((released_by IS NULL) = (released_at IS NULL))
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX legal_holds_active ON legal_holds (resource_type, record_id) WHERE released_at IS NULL`.execute(db);
  await sql`
    CREATE TABLE erasures (
      event_id uuid PRIMARY KEY,
      resource_type text NOT NULL,
      record_id text NOT NULL,
      reason text NOT NULL,
      erased_by text NOT NULL,
      erased_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX erasures_record ON erasures (resource_type, record_id)`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, UPDATE ON legal_holds TO fieldguard_app;
        GRANT SELECT, INSERT ON erasures TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE erasures`.execute(db);
  await sql`DROP TABLE legal_holds`.execute(db);
}
