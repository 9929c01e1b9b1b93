import * as documents from '../data/document.repository.js';
import type { DocumentMeta } from '../data/document.repository.js';
import { notFound } from '../errors.js';
import { canonicalId } from '../ids.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { visibleCustomerOr404 } from './customer.service.js';
import { pageLimit, UUID } from './cursor.js';
import { auditingDocumentDenials, DOCUMENT, documentDetails, visibleDocuments } from './document-access.js';
import { assertCan, audit, auditingDenials, mergeDecisions } from './guard.js';
import { enforceReadBudget } from './read-budget.js';
import { renderAs } from './record-access.js';
import type { RequestContext } from './request-context.js';

/** Metadata only: the `content` field's decision says whether the caller may download. */
const render = (ctx: RequestContext, doc: DocumentMeta): RenderedRecord => renderAs(ctx, DOCUMENT, doc);

export const findVisibleDocument = (ctx: RequestContext, id: string, forUpdate = false) =>
  UUID.test(id) ? documents.findDocument(ctx.db, id, visibleDocuments(ctx), { forUpdate }) : Promise.resolve(undefined);

/** One document's metadata; 404 when it does not exist or the caller may not see it. */
export async function getDocument(ctx: RequestContext, id: string): Promise<RenderedRecord> {
  return auditingDocumentDenials(ctx, { action: 'read', resourceIds: [id] }, async () => {
    const doc = await findVisibleDocument(ctx, id);
    if (!doc) throw notFound(DOCUMENT);
    const rendered = render(ctx, doc);
    // A customer's documents are that customer's data: they count against the read budget.
    await enforceReadBudget(ctx, 'Customer', { action: 'read', resourceIds: [doc.customerId] }, [doc.customerId]);
    await audit(ctx, { action: 'read', resourceType: DOCUMENT, resourceIds: [id], outcome: 'allowed', ...mergeDecisions([rendered.access]), details: documentDetails(doc) });
    return rendered;
  });
}

/** One page of a customer's documents, oldest first. */
export interface DocumentPage {
  items: RenderedRecord[];
  nextCursor: string | null;
}

/** Every document list runs in (createdAt, id) order: one cursor family. */
const LIST = 'documents:createdAt:asc';

/**
 * `Customer.documents`, the list without a cursor that GraphQL clients already use,
 * answers at most this many (the first page of `documentPage`); beyond it, page.
 */
export const DOCUMENT_LIST_CAP = 100;

/** A page of one customer's documents the caller may see; 404 when the customer does not exist for it. */
export async function listCustomerDocuments(ctx: RequestContext, customerId: string, limit?: number | null, cursor?: string | null): Promise<DocumentPage> {
  return auditingDenials(ctx, { action: 'list', resourceType: DOCUMENT, resourceIds: [] }, async () => {
    const customer = await visibleCustomerOr404(ctx, ctx.db, customerId);
    // The stored id: the caller may have spelled it in upper case.
    return (await listDocumentsOfCustomers(ctx, [{ customerId: customer.id, first: limit, after: cursor }]))[0]!;
  });
}

/**
 * Pages of documents for every customer of a GraphQL level (or the one of a REST call):
 * one statement and one audit event, whatever the number of customers.
 */
export async function listDocumentsOfCustomers(
  ctx: RequestContext,
  queries: Array<{ customerId: string; first?: number | null; after?: string | null }>,
): Promise<DocumentPage[]> {
  return auditingDenials(ctx, { action: 'list', resourceType: DOCUMENT, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', DOCUMENT);
    const wanted = await Promise.all(queries.map(async (q) => ({ customerId: canonicalId(q.customerId), size: pageLimit(q.first), after: await ctx.cursors.decode(LIST, q.after) })));
    // An id that is not a UUID names no customer: its page is empty, like a hidden one's.
    const asked = wanted.map((w, i) => ({ ...w, i })).filter((w) => UUID.test(w.customerId));
    const ids = [...new Set(asked.map((w) => w.customerId))];
    const limit = Math.max(0, ...asked.map((w) => w.size)) + 1;
    const found = await documents.listDocumentPages(ctx.db, { where: visibleDocuments(ctx, ids), queries: asked, limit });
    const shown = new Map<string, DocumentMeta>();
    const pages = await Promise.all(
      wanted.map(async (w, i) => {
        const mine = found.filter((d) => d.i === i);
        const page = mine.slice(0, w.size);
        for (const d of page) shown.set(d.id, d);
        const last = page[page.length - 1];
        return { rows: page, nextCursor: mine.length > w.size && last ? await ctx.cursors.encode(LIST, last.createdAt, last.id) : null };
      }),
    );
    const rendered = new Map([...shown.values()].map((d) => [d.id, render(ctx, d)]));
    // A customer's documents are that customer's data: they count against the read budget.
    await enforceReadBudget(ctx, 'Customer', { action: 'list', resourceIds: ids }, ids);
    // Audited even when nothing is found: the answer still told the caller that these
    // customers have no documents it may see, and the trail names whose they were.
    await audit(ctx, {
      action: 'list',
      resourceType: DOCUMENT,
      resourceIds: [...shown.keys()],
      outcome: 'allowed',
      ...mergeDecisions([...rendered.values()].map((r) => r.access)),
      details: { customerIds: [...new Set(wanted.map((w) => w.customerId))] },
    });
    return pages.map((p) => ({ items: p.rows.map((d) => rendered.get(d.id)!), nextCursor: p.nextCursor }));
  });
}

export async function deleteDocument(ctx: RequestContext, id: string): Promise<void> {
  await auditingDocumentDenials(ctx, { action: 'delete', resourceIds: [id] }, () =>
    ctx.db.transaction().execute(async (trx) => {
      assertCan(ctx, 'delete', DOCUMENT);
      const doc = await findVisibleDocument({ ...ctx, db: trx }, id, true);
      if (!doc) throw notFound(DOCUMENT);
      assertCan(ctx, 'delete', DOCUMENT, doc);
      await documents.deleteDocument(trx, id);
      await audit(ctx, { action: 'delete', resourceType: DOCUMENT, resourceIds: [id], outcome: 'allowed', details: documentDetails(doc) }, trx);
    }),
  );
}
