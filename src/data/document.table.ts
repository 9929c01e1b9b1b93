import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export const DOCUMENT_CATEGORIES = ['contract', 'invoice', 'identity', 'medical', 'other'] as const;
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number];

/**
 * `documents` as kysely sees it: the metadata. The bytes live in `document_chunks`,
 * written and read a chunk at a time (document-content.repository.ts).
 */
export interface DocumentTable {
  id: Generated<string>;
  customerId: string;
  category: DocumentCategory;
  title: string;
  contentType: string;
  // bigint comes back from pg as a string; sizes stay far below 2^53.
  sizeBytes: ColumnType<string, number, number>;
  sha256: string;
  createdBy: string;
  createdAt: ColumnType<Date, never, never>;
}

export type DocumentRow = Selectable<DocumentTable>;
export type NewDocumentRow = Insertable<DocumentTable>;

/** One numbered slice of a document's bytes. */
export interface DocumentChunkTable {
  documentId: string;
  seq: number;
  bytes: Buffer;
}
