import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// The role the service should run as: it may read and write customers, but may only
// INSERT and SELECT audit rows, and owns nothing, so even a compromised service cannot
// rewrite history or drop the triggers. Migrations run as the owner (`npm run migrate`).
// The role is created without a password: set one (ALTER ROLE fieldguard_app PASSWORD)
// where the server requires passwords.

export async function up(db: Kysely<any>): Promise<void> {
  // Roles are cluster-wide: several databases (or test runs) may race to create it.
  await sql`
    DO $$ BEGIN
      CREATE ROLE fieldguard_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`.execute(db);
  await sql`GRANT USAGE ON SCHEMA public TO fieldguard_app`.execute(db);
  await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO fieldguard_app`.execute(db);
  await sql`GRANT SELECT, INSERT ON audit_events TO fieldguard_app`.execute(db);
  await sql`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`REVOKE ALL ON customers, audit_events FROM fieldguard_app`.execute(db);
  await sql`REVOKE USAGE ON SCHEMA public FROM fieldguard_app`.execute(db);
}
