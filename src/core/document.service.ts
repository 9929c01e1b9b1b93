import * as documents from '../data/document.repository.js';
import type { DocumentMeta } from '../data/document.repository.js';
import { findVisibleCustomer } from '../data/customer.repository.js';
import { notFound } from '../errors.js';
import { canonicalId } from '../ids.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { visibleFilter as customerVisible } from './customer.service.js';
import { UUID } from './cursor.js';
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
    await enforceReadBudget(ctx, { action: 'read', resourceIds: [doc.customerId] }, [doc.customerId]);
    await audit(ctx, { action: 'read', resourceType: DOCUMENT, resourceIds: [id], outcome: 'allowed', ...mergeDecisions([rendered.access]), details: documentDetails(doc) });
    return rendered;
  });
}

/** The documents of one customer the caller may see; 404 when the customer does not exist for it. */
export async function listCustomerDocuments(ctx: RequestContext, customerId: string): Promise<RenderedRecord[]> {
  return auditingDenials(ctx, { action: 'list', resourceType: DOCUMENT, resourceIds: [] }, async () => {
    const customer = UUID.test(customerId) ? await findVisibleCustomer(ctx.db, customerId, customerVisible(ctx)) : undefined;
    if (!customer) throw notFound('Customer');
    // The stored id: the caller may have spelled it in upper case.
    return (await listDocumentsOfCustomers(ctx, [customer.id]))[0]!;
  });
}

/** `Customer.documents` for every customer of a GraphQL response: one statement, one event. */
export async function listDocumentsOfCustomers(ctx: RequestContext, customerIds: string[]): Promise<RenderedRecord[][]> {
  return auditingDenials(ctx, { action: 'list', resourceType: DOCUMENT, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', DOCUMENT);
    const ids = [...new Set(customerIds.map(canonicalId))];
    const found = await documents.listDocumentsOfCustomers(ctx.db, ids, visibleDocuments(ctx, ids));
    const rendered = new Map(found.map((d) => [d.id, render(ctx, d)]));
    await enforceReadBudget(ctx, { action: 'list', resourceIds: ids }, ids);
    // Audited even when nothing is found: the answer still told the caller that these
    // customers have no documents it may see, and the trail names whose they were.
    await audit(ctx, {
      action: 'list',
      resourceType: DOCUMENT,
      resourceIds: found.map((d) => d.id),
      outcome: 'allowed',
      ...mergeDecisions([...rendered.values()].map((r) => r.access)),
      details: { customerIds: ids },
    });
    return customerIds.map((cid) => found.filter((d) => d.customerId === canonicalId(cid)).map((d) => rendered.get(d.id)!));
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
