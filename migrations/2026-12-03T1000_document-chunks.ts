import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// A document's bytes move from one growing bytea column to numbered chunks of their own.
// Appending a slice with `content = content || slice` rewrote the whole value each time:
// a 10 MiB upload wrote about 55 MiB and took half a minute; an insert per chunk writes
// each byte once. Chunks are stored uncompressed (STORAGE EXTERNAL): documents are mostly
// compressed formats already, and compression would cost CPU on every upload.

const CHUNK = 1024 * 1024;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE document_chunks (
      document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
      seq integer NOT NULL CHECK (seq >= 0),
      bytes bytea NOT NULL,
      PRIMARY KEY (document_id, seq)
    )`.execute(db);
  await sql`ALTER TABLE document_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL`.execute(db);
  await sql`
    INSERT INTO document_chunks (document_id, seq, bytes)
    SELECT d.id, g, substring(d.content FROM g * ${sql.lit(CHUNK)} + 1 FOR ${sql.lit(CHUNK)})
    FROM documents d, generate_series(0, (ceil(d.size_bytes::numeric / ${sql.lit(CHUNK)}) - 1)::int) g
    WHERE d.size_bytes > 0`.execute(db);
  await sql`ALTER TABLE documents DROP COLUMN content`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, DELETE ON document_chunks TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE documents ADD COLUMN content bytea NOT NULL DEFAULT ''::bytea`.execute(db);
  await sql`ALTER TABLE documents ALTER COLUMN content DROP DEFAULT`.execute(db);
  await sql`ALTER TABLE documents ALTER COLUMN content SET STORAGE EXTERNAL`.execute(db);
  await sql`
    UPDATE documents d SET content = c.bytes
    FROM (SELECT document_id, string_agg(bytes, ''::bytea ORDER BY seq) AS bytes FROM document_chunks GROUP BY document_id) c
    WHERE c.document_id = d.id`.execute(db);
  await sql`DROP TABLE document_chunks`.execute(db);
}
