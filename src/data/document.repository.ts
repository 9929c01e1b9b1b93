import type { Db } from './database.js';
import type { DocumentCategory, DocumentRow } from './document.table.js';
import type { SqlFilter } from './policy-sql.js';

/** Document metadata as the core sees it; the bytes never travel with it. */
export interface DocumentMeta {
  id: string;
  customerId: string;
  category: DocumentCategory;
  title: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdBy: string;
  createdAt: string;
}

const META = ['documents.id', 'documents.customerId', 'documents.category', 'documents.title', 'documents.contentType', 'documents.sizeBytes', 'documents.sha256', 'documents.createdBy', 'documents.createdAt'] as const;

const toMeta = (row: DocumentRow): DocumentMeta => ({ ...row, sizeBytes: Number(row.sizeBytes), createdAt: row.createdAt.toISOString() });

/** The document with this id if every filter lets the caller see it; no filter: any (for audit). */
export async function findDocument(db: Db, id: string, where: SqlFilter[], options: { forUpdate?: boolean } = {}): Promise<DocumentMeta | undefined> {
  let query = db.selectFrom('documents').select(META).where('documents.id', '=', id);
  for (const filter of where) query = query.where(filter);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toMeta(row);
}

/** Every visible document of these customers, in one statement, oldest first. */
export async function listDocumentsOfCustomers(db: Db, customerIds: string[], where: SqlFilter[]): Promise<DocumentMeta[]> {
  if (customerIds.length === 0) return [];
  let query = db.selectFrom('documents').select(META).where('documents.customerId', '=', (eb) => eb.fn.any(eb.val(customerIds)));
  for (const filter of where) query = query.where(filter);
  const rows = await query.orderBy('documents.customerId').orderBy('documents.createdAt').orderBy('documents.id').limit(1000).execute();
  return rows.map(toMeta);
}

export async function deleteDocument(db: Db, id: string): Promise<void> {
  await db.deleteFrom('documents').where('id', '=', id).execute();
}
