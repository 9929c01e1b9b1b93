import type { AuditDecision } from '../audit/audit-event.js';
import { findDocument, type DocumentMeta } from '../data/document.repository.js';
import { existsVisibleParent, PARENT } from '../data/parent-visibility.js';
import type { SqlFilter } from '../data/policy-sql.js';
import { AppError } from '../errors.js';
import { visibleFilter as customerVisible } from './customer.service.js';
import { UUID } from './cursor.js';
import { audit } from './guard.js';
import { visibleFilterFor } from './record-access.js';
import type { RequestContext } from './request-context.js';

export const DOCUMENT = 'Document';

/**
 * A document exists for the caller when the document rules (by category) let it see the
 * document AND the customer rules let it see the document's customer. Both run in SQL.
 * `customerIds`: the documents asked for belong to these customers (a batch).
 */
export const visibleDocuments = (ctx: RequestContext, customerIds?: readonly string[]): SqlFilter[] => [
  visibleFilterFor(ctx, DOCUMENT),
  existsVisibleParent('customers', 'documents.customerId', customerVisible(ctx, PARENT), customerIds),
];

/** What the trail records about a document: never its title (it may name a person). */
export const documentDetails = (doc: Pick<DocumentMeta, 'category' | 'sha256' | 'sizeBytes'>) => ({
  category: doc.category,
  sha256: doc.sha256,
  sizeBytes: doc.sizeBytes,
});

/**
 * Like auditingDenials, but a refused document access names the document's category
 * and sha256 in the trail, even when the caller was told 404: the trail is for the
 * security team, who need to know which file someone reached for.
 */
export async function auditingDocumentDenials<T>(
  ctx: RequestContext,
  what: Pick<AuditDecision, 'action' | 'resourceIds'>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AppError && [403, 404, 413].includes(err.status)) {
      const id = what.resourceIds[0];
      const doc = id && UUID.test(id) ? await findDocument(ctx.db, id, []).catch(() => undefined) : undefined;
      await audit(ctx, { ...what, resourceType: DOCUMENT, outcome: 'denied', reason: err.message, details: doc ? documentDetails(doc) : null });
    }
    throw err;
  }
}
