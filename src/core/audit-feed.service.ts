import { listAuditEvents, type AuditFeedFilter } from '../audit/audit.repository.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { AppError } from '../errors.js';
import { decodeCursor, encodeCursor, pageLimit, SEQUENCE } from './cursor.js';
import { assertCan, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

export interface AuditFeedPage {
  items: AuditEvent[];
  /** Where to resume; stays at the caller's position when no new event has arrived. */
  nextCursor: string | null;
}

/**
 * The audit feed, oldest first, for roles that may read AuditEvent. At-least-once: a
 * cursor only ever moves past events that were returned, or (with filters) that did
 * not match, so a consumer resuming from its last cursor misses nothing.
 */
export async function readAuditFeed(
  ctx: RequestContext,
  after?: string | null,
  limit?: number | null,
  filter: AuditFeedFilter = {},
): Promise<AuditFeedPage> {
  // Denied attempts are recorded; successful feed reads are not, or every poll of a
  // SIEM forwarder would add events to the very feed it is reading.
  return auditingDenials(ctx, { action: 'read', resourceType: 'AuditEvent', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const size = pageLimit(limit);
    const afterSeq = decodeCursor(after, SEQUENCE);
    if (filter.from && filter.to && filter.from > filter.to) {
      throw new AppError('VALIDATION_FAILED', 'from must not be later than to.');
    }
    const { events, head } = await listAuditEvents(ctx.db, afterSeq, size, filter);
    return { items: events, nextCursor: nextCursor(events, size, head, afterSeq, after) };
  });
}

/**
 * A full page resumes after its last event. A short page covered everything up to
 * the head, so it resumes there: a filtered poller does not rescan what it skipped.
 */
function nextCursor(events: AuditEvent[], size: number, head: string | null, afterSeq: string | null, after?: string | null): string | null {
  const last = events[events.length - 1];
  if (last !== undefined && events.length === size) return encodeCursor(last.seq);
  if (head !== null && (afterSeq === null || BigInt(head) > BigInt(afterSeq))) return encodeCursor(head);
  return after || null;
}
