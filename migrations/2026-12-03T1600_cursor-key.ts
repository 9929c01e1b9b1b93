import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Keys the service keeps in its own database, so every instance behind a load balancer
// shares them without a secret to distribute. The first is the page-cursor key: list
// cursors are encrypted with it, so a cursor carries no value the caller cannot read.
// It protects nothing the database does not hold anyway (the sort values of its rows).
// 32 bytes from two gen_random_uuid() (244 random bits from the server's strong source:
// pgcrypto may not be installed).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE service_keys (
      name text PRIMARY KEY,
      key bytea NOT NULL CHECK (length(key) = 32),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    INSERT INTO service_keys (name, key)
    VALUES ('cursor', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'))`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT ON service_keys TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE service_keys`.execute(db);
}
