import { sql, type Kysely } from 'kysely';
import type { ResourceModel } from '../model/model.js';
import { readChunk } from './binary-copy.js';
import type { Db } from './database.js';

/**
 * The bytes of a generated resource's `file` field: numbered chunks in the resource's
 * chunk table (as document_chunks holds a document's), and what is known of them (media
 * type, size, sha256) in record_files. Identifiers come from the model, never a request.
 */
type AnyDb = Kysely<any>;
const raw = (db: Db): AnyDb => db.withoutPlugins() as unknown as AnyDb;

export interface StoredFile {
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  /** The number of the file's first chunk (see the record_files migration). */
  firstSeq: number;
}

const chunkTable = (r: ResourceModel) => `${r.file!.chunks.table.schema}.${r.file!.chunks.table.name}`;

/** Where a new upload's chunks start: after any the record holds now. */
export async function nextSeq(db: Db, r: ResourceModel, id: string): Promise<number> {
  const row = await raw(db).selectFrom(chunkTable(r)).select(sql<number>`coalesce(max(seq) + 1, 0)::integer`.as('next')).where(r.file!.chunks.owner, '=', id).executeTakeFirst();
  return row?.next ?? 0;
}

/** Removes the record's bytes and their metadata (a replaced or deleted file). */
export async function removeFile(db: Db, r: ResourceModel, id: string): Promise<void> {
  await raw(db).deleteFrom(chunkTable(r)).where(r.file!.chunks.owner, '=', id).execute();
  await raw(db).deleteFrom('record_files').where('resource_type', '=', r.name).where('record_id', '=', id).execute();
}

export async function appendChunk(db: Db, r: ResourceModel, id: string, seq: number, bytes: Buffer): Promise<void> {
  await raw(db)
    .insertInto(chunkTable(r))
    .values({ [r.file!.chunks.owner]: id, seq, bytes })
    .execute();
}

/** Removes the chunks before `firstSeq`: those of the file an upload replaced. */
export async function removeChunksBefore(db: Db, r: ResourceModel, id: string, firstSeq: number): Promise<void> {
  await raw(db).deleteFrom(chunkTable(r)).where(r.file!.chunks.owner, '=', id).where('seq', '<', firstSeq).execute();
}

/** Seals the upload: written last, in the transaction that wrote the chunks; replaces what was known of an earlier one. */
export async function sealFile(db: Db, r: ResourceModel, id: string, file: StoredFile, uploadedBy: string): Promise<void> {
  await raw(db)
    .insertInto('record_files')
    .values({ resource_type: r.name, record_id: id, field: r.file!.field.name, media_type: file.mediaType, size_bytes: file.sizeBytes, sha256: file.sha256, first_seq: file.firstSeq, uploaded_by: uploadedBy })
    .onConflict((oc) =>
      oc.columns(['resource_type', 'record_id']).doUpdateSet({
        field: r.file!.field.name,
        media_type: file.mediaType,
        size_bytes: file.sizeBytes,
        sha256: file.sha256,
        first_seq: file.firstSeq,
        uploaded_by: uploadedBy,
        uploaded_at: sql`now()`,
      }),
    )
    .execute();
}

/** What is stored for the record's file, or undefined before its first upload. */
export async function findFile(db: Db, r: ResourceModel, id: string): Promise<StoredFile | undefined> {
  const row = await raw(db)
    .selectFrom('record_files')
    .select(['media_type', 'size_bytes', 'sha256', 'first_seq'])
    .where('resource_type', '=', r.name)
    .where('record_id', '=', sql`${id}::uuid`)
    .executeTakeFirst();
  return row ? { mediaType: row.media_type as string, sizeBytes: Number(row.size_bytes), sha256: row.sha256 as string, firstSeq: row.first_seq as number } : undefined;
}

/**
 * Yields the stored bytes one chunk at a time, read as binary COPY (raw bytes, not hex
 * text). A file replaced or deleted mid-download ends the stream with an error rather
 * than with a short or mixed file.
 */
export async function* readChunks(db: Db, r: ResourceModel, id: string, file: StoredFile): AsyncIterable<Buffer> {
  for (let seq = file.firstSeq, sent = 0; sent < file.sizeBytes; seq++) {
    const bytes = await readChunk(db, chunkTable(r), r.file!.chunks.owner, id, seq);
    if (!bytes) throw new Error('file removed during download');
    sent += bytes.length;
    yield bytes;
  }
}
