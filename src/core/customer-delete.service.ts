import { subject as asSubject } from '@casl/ability';
import type { AuditDecision } from '../audit/audit-event.js';
import { lockBookingsOfCustomer } from '../data/booking.repository.js';
import * as customers from '../data/customer.repository.js';
import { lockDocumentsOfCustomer } from '../data/document.repository.js';
import { AppError } from '../errors.js';
import { canSee } from '../policy/field-access.js';
import { resourcesWithOwnDoors } from '../model/own-doors.js';
import { visibleCustomerOr404 } from './customer.service.js';
import { assertNoChildren, childrenOf, modelOf } from './record.service.js';
import { DOCUMENT, documentDetails } from './document-access.js';
import { assertCan, auditAll, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Customer';

/**
 * Deletes a customer and, by the database's ON DELETE CASCADE, its bookings and
 * documents: erasing a person erases what is kept about them, in one step. The trail
 * names every record that went, each as its own `delete` event (a document's with its
 * category, size and sha256) pointing at the customer, committed with the deletion.
 *
 * A caller may only sweep away what it could delete by hand: if any of those records is
 * one its roles may not delete (or do not even see), nothing is deleted and the answer
 * is 403. The children are locked first, so none can be added, moved or removed between
 * this check, the deletion and its audit rows.
 */
export async function deleteCustomer(ctx: RequestContext, id: string): Promise<void> {
  await auditingDenials(ctx, { action: 'delete', resourceType: TYPE, resourceIds: [id] }, () =>
    ctx.db.transaction().execute(async (trx) => {
      const current = await visibleCustomerOr404(ctx, trx, id, { forUpdate: true });
      assertCan(ctx, 'delete', TYPE, current);
      // Bookings and documents go with the customer, below; records of any other resource
      // the model nests under customers refuse the delete, as for any generated resource.
      const own = resourcesWithOwnDoors(ctx.policy.model);
      const generated = childrenOf(ctx, modelOf(ctx, TYPE)).filter(([child]) => !own.has(child.name));
      await assertNoChildren(ctx, trx, modelOf(ctx, TYPE), current.id, generated);
      const children = [
        ...(await lockBookingsOfCustomer(trx, current.id)).map((b) => ({ type: 'Booking', record: b, details: {} })),
        ...(await lockDocumentsOfCustomer(trx, current.id)).map((d) => ({ type: DOCUMENT, record: d, details: documentDetails(d) })),
      ];
      const blocked = children.filter(({ type, record }) => !canSee(ctx.ability, type, record) || !ctx.ability.can('delete', asSubject(type, { ...record })));
      if (blocked.length > 0) {
        throw new AppError('FORBIDDEN', 'This customer has bookings or documents your roles may not delete, and deleting the customer would delete them too. Nothing was deleted.');
      }
      await customers.deleteCustomer(trx, current.id);
      const count = (type: string) => children.filter((c) => c.type === type).length;
      const cascadeFrom = { resourceType: TYPE, id: current.id };
      const events: AuditDecision[] = [
        { action: 'delete', resourceType: TYPE, resourceIds: [id], outcome: 'allowed', details: { cascaded: { Booking: count('Booking'), Document: count(DOCUMENT) } } },
        ...children.map(({ type, record, details }) => ({ action: 'delete', resourceType: type, resourceIds: [record.id], outcome: 'allowed' as const, details: { ...details, cascadeFrom } })),
      ];
      await auditAll(ctx, events, trx);
    }),
  );
}
