import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import type { AuditEventRow } from '../data/audit-event.table.js';
import type { AuditEvent } from './audit-event.js';
import { auditableId } from './audit-values.js';

/** Feed filters; every one given must hold. Times are on occurred_at: from inclusive, to exclusive. */
export interface AuditFeedFilter {
  actor?: string;
  resourceId?: string;
  action?: string;
  outcome?: 'allowed' | 'denied';
  from?: Date;
  to?: Date;
}

export interface AuditPage {
  events: AuditEvent[];
  /**
   * The newest position this page covered: every matching event up to it was returned
   * when the page is not full. Null when the trail is empty.
   */
  head: string | null;
}

/** Events after position `afterSeq` that match `filter`, oldest first. */
export async function listAuditEvents(db: Db, afterSeq: string | null, limit: number, filter: AuditFeedFilter = {}): Promise<AuditPage> {
  // seq is assigned under the chain lock, so the visible rows always form a gapless
  // prefix: every row up to this head is already committed and can be paged through,
  // and a filtered reader may skip past the ones that did not match.
  const top = await db.selectFrom('auditEvents').select((eb) => eb.fn.max('seq').as('head')).executeTakeFirst();
  const head = top?.head === null || top?.head === undefined ? null : String(top.head);
  if (head === null) return { events: [], head };
  let query = db.selectFrom('auditEvents').selectAll().where('seq', '<=', head);
  if (afterSeq !== null) query = query.where('seq', '>', afterSeq);
  if (filter.actor !== undefined) query = query.where('actorSub', '=', filter.actor);
  // @> rather than `= any(...)`: same meaning, and it can use the GIN index.
  if (filter.resourceId !== undefined) query = query.where(sql<boolean>`resource_ids @> array[${auditableId(filter.resourceId)}]::text[]`);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.from !== undefined) query = query.where('occurredAt', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('occurredAt', '<', filter.to);
  const rows = await query.orderBy('seq').limit(limit).execute();
  return { events: rows.map(toAuditEvent), head };
}

export const toAuditEvent = (row: AuditEventRow): AuditEvent => ({
  seq: String(row.seq),
  eventId: row.eventId,
  occurredAt: row.occurredAt.toISOString(),
  actor: { sub: row.actorSub, roles: row.actorRoles, tokenId: row.actorTokenId },
  channel: row.channel,
  action: row.action,
  resourceType: row.resourceType,
  resourceIds: row.resourceIds,
  fields: { clear: row.fieldsClear, masked: row.fieldsMasked, withheld: row.fieldsWithheld, written: row.fieldsWritten },
  outcome: row.outcome,
  reason: row.reason,
  requestId: row.requestId,
  purpose: row.purpose,
  clientIp: row.clientIp,
  userAgent: row.userAgent,
  policyVersion: row.policyVersion,
  details: row.details,
  prevHash: row.prevHash,
  hash: row.hash,
});
