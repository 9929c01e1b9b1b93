import { sql } from 'kysely';
import type { Db } from './database.js';
import type { DocumentCategory } from './document.table.js';

/**
 * The bytes of a document, written and read in slices so neither an upload nor a
 * download ever holds the whole file in JavaScript. The column is STORAGE EXTERNAL
 * (see the migration), so substring() reads only the TOAST chunks of its slice.
 */
export const SLICE_BYTES = 1024 * 1024;

export interface NewDocument {
  customerId: string;
  category: DocumentCategory;
  title: string;
  contentType: string;
  createdBy: string;
}

/** Creates the row with no bytes yet; run inside the upload's transaction. */
export async function insertEmptyDocument(db: Db, doc: NewDocument): Promise<string> {
  const row = await db
    .insertInto('documents')
    .values({ ...doc, sizeBytes: 0, sha256: '0'.repeat(64), content: Buffer.alloc(0) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function appendSlice(db: Db, id: string, slice: Buffer): Promise<void> {
  await sql`update documents set content = content || ${slice} where id = ${id}`.execute(db);
}

export async function sealDocument(db: Db, id: string, sizeBytes: number, sha256: string): Promise<void> {
  await db.updateTable('documents').set({ sizeBytes, sha256 }).where('id', '=', id).execute();
}

/**
 * Yields the stored bytes one slice at a time. A document deleted mid-download ends
 * the stream with an error rather than with a short file.
 */
export async function* readSlices(db: Db, id: string, sizeBytes: number): AsyncIterable<Buffer> {
  for (let offset = 0; offset < sizeBytes; offset += SLICE_BYTES) {
    // substring() on bytea counts from 1.
    const row = await sql<{ slice: Buffer | null }>`select substring(content from ${offset + 1}::int for ${SLICE_BYTES}::int) as slice from documents where id = ${id}`
      .execute(db)
      .then((r) => r.rows[0]);
    if (!row?.slice) throw new Error('document removed during download');
    yield row.slice;
  }
}
