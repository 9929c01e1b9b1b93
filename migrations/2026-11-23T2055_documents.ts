import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Documents (the law firm): metadata and the bytes in one row. The bytes are stored
// uncompressed out of line (STORAGE EXTERNAL), so reading them back with
// substring(content from N for M) fetches only the TOAST chunks of that slice: a
// download streams in constant memory instead of loading the whole value.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE documents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
      category text NOT NULL CHECK (category IN ('contract', 'invoice', 'identity', 'medical', 'other')),
      title text NOT NULL,
      content_type text NOT NULL,
      size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content bytea NOT NULL,
      created_by text NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`ALTER TABLE documents ALTER COLUMN content SET STORAGE EXTERNAL`.execute(db);
  await sql`CREATE INDEX documents_customer ON documents (customer_id, created_at, id)`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON documents TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE documents`.execute(db);
}
