import { readChunk } from './binary-copy.js';
import type { Db } from './database.js';
import type { DocumentCategory } from './document.table.js';

/**
 * The bytes of a document, as numbered chunks of `document_chunks`, so neither an
 * upload nor a download ever holds the whole file in JavaScript, and an upload writes
 * each byte once (appending to one growing value rewrote it on every slice).
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
    .values({ ...doc, sizeBytes: 0, sha256: '0'.repeat(64) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function appendSlice(db: Db, id: string, seq: number, slice: Buffer): Promise<void> {
  await db.insertInto('documentChunks').values({ documentId: id, seq, bytes: slice }).execute();
}

export async function sealDocument(db: Db, id: string, sizeBytes: number, sha256: string): Promise<void> {
  await db.updateTable('documents').set({ sizeBytes, sha256 }).where('id', '=', id).execute();
}

/** Whether the document's bytes are stored: an erasure (GDPR Art. 17) removes them and keeps the row. */
export async function hasContent(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('documentChunks').select('seq').where('documentId', '=', id).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Yields the stored bytes one chunk at a time, each read as binary COPY (raw bytes, not
 * hex text), the next chunk already on its way from PostgreSQL while this one is
 * written to the client (a download alternated between the two, waiting on each in
 * turn). A document deleted mid-download ends the stream with an error rather than
 * with a short file.
 */
export async function* readSlices(db: Db, id: string, sizeBytes: number): AsyncIterable<Buffer> {
  const fetch = (seq: number) => {
    const row = readChunk(db, 'document_chunks', 'document_id', id, seq).then((bytes) => bytes && { bytes });
    row.catch(() => undefined); // a client gone mid-download leaves the prefetch unawaited: not a crash
    return row;
  };
  // Chunks are about SLICE_BYTES each (an upload cuts where the client's packets end).
  let next = sizeBytes > 0 ? fetch(0) : null;
  for (let seq = 0, sent = 0; next; seq++) {
    const row = await next;
    if (!row) throw new Error('document removed during download');
    sent += row.bytes.length;
    next = sent < sizeBytes ? fetch(seq + 1) : null;
    yield row.bytes;
  }
}
