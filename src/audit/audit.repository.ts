import type { Db } from '../data/database.js';
import type { AuditEventRow, NewAuditEventRow } from '../data/audit-event.table.js';
import type { AuditEvent } from './audit-event.js';

export async function insertAuditEvent(db: Db, row: NewAuditEventRow): Promise<void> {
  await db.insertInto('auditEvents').values(row).execute();
}

export interface AuditPage {
  events: Array<AuditEvent & { seq: string }>;
}

/** Events after position `afterSeq`, oldest first. */
export async function listAuditEvents(db: Db, afterSeq: string | null, limit: number): Promise<AuditPage> {
  let query = db.selectFrom('auditEvents').selectAll();
  if (afterSeq !== null) query = query.where('seq', '>', afterSeq);
  const rows = await query.orderBy('seq').limit(limit).execute();
  return { events: rows.map(toAuditEvent) };
}

const toAuditEvent = (row: AuditEventRow): AuditEvent & { seq: string } => ({
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
});
