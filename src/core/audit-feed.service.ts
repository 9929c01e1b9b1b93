import { listAuditEvents } from '../audit/audit.repository.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { decodeCursor, encodeCursor, pageLimit, SEQUENCE } from './cursor.js';
import { assertCan, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

export interface AuditFeedPage {
  items: AuditEvent[];
  /** Where to resume; stays at the caller's position when no new event has arrived. */
  nextCursor: string | null;
}

/** The audit feed, oldest first, for roles that may read AuditEvent. */
export async function readAuditFeed(ctx: RequestContext, after?: string | null, limit?: number | null): Promise<AuditFeedPage> {
  // Denied attempts are recorded; successful feed reads are not, or every poll of a
  // SIEM forwarder would add events to the very feed it is reading.
  return auditingDenials(ctx, { action: 'read', resourceType: 'AuditEvent', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const size = pageLimit(limit);
    const afterSeq = decodeCursor(after, SEQUENCE);
    const { events } = await listAuditEvents(ctx.db, afterSeq, size);
    const last = events[events.length - 1];
    return {
      items: events,
      nextCursor: last ? encodeCursor(last.seq) : after || null,
    };
  });
}
