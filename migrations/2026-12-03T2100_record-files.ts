import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// What is known of the file a `file` field of a generated resource holds: its media type,
// size and sha256, sealed when the upload commits. The bytes live in the resource's own
// chunk table (`<resource>_chunks`, created by the model's plan); this table is
// fieldguard's and keyed by resource type and record id, so that no managed or built-in
// table changes shape for it. A record's row goes with the record (the generic delete
// removes it in the same transaction).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE record_files (
      resource_type text NOT NULL,
      record_id uuid NOT NULL,
      field text NOT NULL,
      media_type text NOT NULL,
      size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      -- The upload's chunks are numbered from here: a replacement numbers its own after
      -- the old ones, so a download still reading the old file ends in an error, never
      -- in a mix of both.
      first_seq integer NOT NULL CHECK (first_seq >= 0),
      uploaded_by text NOT NULL,
      uploaded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (resource_type, record_id)
    )`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON record_files TO fieldguard_app;
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE record_files`.execute(db);
}
