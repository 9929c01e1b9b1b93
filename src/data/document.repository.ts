import { sql, type SqlBool } from 'kysely';
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

/** Keyset position: the createdAt and id of the last document of the previous page. */
export type DocumentPosition = { value: string; id: string } | null;

type PageQuery = { i: number; customerId: string; afterAt: Date | null; afterId: string | null };

/**
 * For each query, the first `limit` visible documents of its customer after its own
 * keyset position, in (createdAt, id) order: one statement for many customers (a GraphQL
 * level costs one query), each page a LATERAL index range, so no customer's page crowds
 * out another's and two pages of one customer (aliases) do not mix. `i` is the query's index.
 */
export async function listDocumentPages(
  db: Db,
  q: { where: SqlFilter[]; queries: Array<{ customerId: string; after: DocumentPosition }>; limit: number },
): Promise<Array<DocumentMeta & { i: number }>> {
  if (q.queries.length === 0) return [];
  const column = <T>(pick: (c: (typeof q.queries)[number], i: number) => T) => q.queries.map(pick);
  const indexes = column((_c, i) => i);
  const customerIds = column((c) => c.customerId);
  const afterAt = column((c) => c.after?.value ?? null);
  const afterId = column((c) => c.after?.id ?? null);
  const queries = sql<PageQuery>`unnest(${indexes}::int[], ${customerIds}::uuid[], ${afterAt}::timestamptz[], ${afterId}::uuid[])`.as<'q'>(sql`q(i, customer_id, after_at, after_id)`);
  const rows = await db
    .selectFrom(queries)
    .innerJoinLateral(
      (eb) => {
        let page = eb.selectFrom('documents').select(META).whereRef('documents.customerId', '=', 'q.customerId');
        for (const filter of q.where) page = page.where(filter);
        return page
          .where((e) => e.or([e('q.afterAt', 'is', null), sql<SqlBool>`(${e.ref('documents.createdAt')}, ${e.ref('documents.id')}) > (${e.ref('q.afterAt')}, ${e.ref('q.afterId')})`]))
          .orderBy('documents.createdAt')
          .orderBy('documents.id')
          .limit(q.limit)
          .as('d');
      },
      (join) => join.onTrue(),
    )
    .selectAll('d')
    .select('q.i')
    .orderBy('q.i')
    .orderBy('d.createdAt')
    .orderBy('d.id')
    .execute();
  return rows.map(({ i, ...row }) => ({ ...toMeta(row), i }));
}

/** Every document of a customer, locked until the transaction ends (a cascade is about to take them). */
export async function lockDocumentsOfCustomer(db: Db, customerId: string): Promise<DocumentMeta[]> {
  const rows = await db.selectFrom('documents').select(META).where('documents.customerId', '=', customerId).orderBy('documents.createdAt').orderBy('documents.id').forUpdate().execute();
  return rows.map(toMeta);
}

export async function deleteDocument(db: Db, id: string): Promise<void> {
  await db.deleteFrom('documents').where('id', '=', id).execute();
}
