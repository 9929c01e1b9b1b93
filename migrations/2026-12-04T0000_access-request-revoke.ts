import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// A grant can be taken back before it expires: status `revoked`, with who did it, when
// and their note (their own words, kept here and never in the trail).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE access_requests DROP CONSTRAINT access_requests_status_check`.execute(db);
  await sql`
    ALTER TABLE access_requests
      ADD CONSTRAINT access_requests_status_check CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'revoked')),
      ADD COLUMN revoked_by text,
      ADD COLUMN revoked_at timestamptz,
      ADD COLUMN revoke_note text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`UPDATE access_requests SET status = 'expired' WHERE status = 'revoked'`.execute(db);
  await sql`ALTER TABLE access_requests DROP CONSTRAINT access_requests_status_check`.execute(db);
  await sql`
    ALTER TABLE access_requests
      ADD CONSTRAINT access_requests_status_check CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
      DROP COLUMN revoked_by,
      DROP COLUMN revoked_at,
      DROP COLUMN revoke_note`.execute(db);
}
