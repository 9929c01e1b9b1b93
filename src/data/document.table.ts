import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export const DOCUMENT_CATEGORIES = ['contract', 'invoice', 'identity', 'medical', 'other'] as const;
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number];

/**
 * `documents` as kysely sees it. `content` is never selected with the metadata: it is
 * written in slices and read in slices (document-content.repository.ts).
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
  content: ColumnType<Buffer, Buffer, Buffer>;
  createdBy: string;
  createdAt: ColumnType<Date, never, never>;
}

export type DocumentRow = Omit<Selectable<DocumentTable>, 'content'>;
export type NewDocumentRow = Insertable<DocumentTable>;
