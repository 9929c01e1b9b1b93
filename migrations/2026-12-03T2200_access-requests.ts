import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Requests to see, for one record, fields the requester otherwise sees masked or not at
// all, and their decisions. An approved request is a grant until `expires_at`. Field
// names and ids only: the reason and notes are the people's own words, bounded, kept
// here and out of the audit trail (which names the request by id).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE access_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      requester_sub text NOT NULL,
      requester_roles text[] NOT NULL,
      resource_type text NOT NULL,
      record_id text NOT NULL,
      fields text[] NOT NULL,
      reason text NOT NULL,
      minutes integer NOT NULL CHECK (minutes > 0),
      break_glass boolean NOT NULL DEFAULT false,
      status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
      created_at timestamptz NOT NULL,
      decided_by text,
      decided_at timestamptz,
      decision_note text,
      expires_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX access_requests_requester ON access_requests (requester_sub, status)`.execute(db);
  await sql`CREATE INDEX access_requests_status ON access_requests (status, created_at)`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, UPDATE ON access_requests TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE access_requests`.execute(db);
}
