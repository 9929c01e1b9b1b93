import type { Db } from '../data/database.js';
import type { AuditEventRow } from '../data/audit-event.table.js';
import type { AuditEvent } from './audit-event.js';

export interface AuditPage {
  events: AuditEvent[];
}

/** Events after position `afterSeq`, oldest first. */
export async function listAuditEvents(db: Db, afterSeq: string | null, limit: number): Promise<AuditPage> {
  let query = db.selectFrom('auditEvents').selectAll();
  if (afterSeq !== null) query = query.where('seq', '>', afterSeq);
  const rows = await query.orderBy('seq').limit(limit).execute();
  return { events: rows.map(toAuditEvent) };
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
