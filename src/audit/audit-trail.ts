import { randomUUID } from 'node:crypto';
import type { Db } from '../data/database.js';
import { AppError } from '../errors.js';
import type { Log } from '../log.js';
import type { AuditContext, AuditDecision } from './audit-event.js';
import { auditableId, storableText } from './audit-values.js';
import type { AuditWriter, PendingAuditRow } from './audit-writer.js';

/**
 * Writes one audit event and returns only once it is committed (or, inside a
 * transaction, part of it). Any failure becomes AUDIT_UNAVAILABLE: the caller gets
 * 503 and no data, because data without its audit row must never leave. Returns the
 * event id, so a later event can point back at this one (an export and its completion).
 */
export async function recordAuditEvent(
  writer: AuditWriter,
  log: Log,
  ctx: AuditContext,
  decision: AuditDecision,
  trx?: Db,
): Promise<string> {
  const row = rowOf(ctx, decision);
  await failClosed(log, () => writer.write(row, trx));
  logEvent(log, ctx, decision, row.eventId);
  return row.eventId;
}

/**
 * Several events inside the caller's transaction, appended in this order in one
 * statement (a customer's deletion and one event per record that went with it): they
 * commit with its writes or not at all.
 */
export async function recordAuditEventsIn(writer: AuditWriter, trx: Db, log: Log, ctx: AuditContext, decisions: AuditDecision[]): Promise<void> {
  const rows = decisions.map((d) => rowOf(ctx, d));
  await failClosed(log, () => writer.writeAll(rows, trx));
  decisions.forEach((d, i) => logEvent(log, ctx, d, rows[i]!.eventId));
}

async function failClosed(log: Log, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    log.error({ err: { code: (err as { code?: string }).code, type: (err as Error).name } }, 'audit write failed');
    throw new AppError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; no data was returned.');
  }
}

function rowOf(ctx: AuditContext, decision: AuditDecision): PendingAuditRow {
  const actor = ctx.principal;
  return {
    eventId: randomUUID(),
    occurredAt: new Date(),
    actorSub: actor ? storableText(actor.sub) : null,
    actorRoles: actor ? actor.roles.map(storableText) : [],
    actorTokenId: actor?.tokenId ? storableText(actor.tokenId) : null,
    channel: ctx.channel,
    action: decision.action,
    resourceType: decision.resourceType,
    resourceIds: decision.resourceIds.map(auditableId),
    fieldsClear: decision.fieldsClear ?? [],
    fieldsMasked: decision.fieldsMasked ?? [],
    fieldsWithheld: decision.fieldsWithheld ?? [],
    fieldsWritten: decision.fieldsWritten ?? [],
    outcome: decision.outcome,
    reason: decision.reason === undefined || decision.reason === null ? null : storableText(decision.reason),
    requestId: ctx.requestId,
    purpose: ctx.purpose,
    clientIp: ctx.clientIp,
    userAgent: ctx.userAgent,
    policyVersion: ctx.policyVersion,
    details: decision.grants && decision.grants.length > 0 ? { ...decision.details, grants: [...decision.grants] } : (decision.details ?? null),
  };
}

/** For log shippers: names and ids only, never a field value. */
function logEvent(log: Log, ctx: AuditContext, decision: AuditDecision, eventId: string): void {
  log.info(
    {
      audit: true,
      eventId,
      actor: ctx.principal?.sub ?? null,
      action: decision.action,
      resourceType: decision.resourceType,
      resourceCount: decision.resourceIds.length,
      outcome: decision.outcome,
      channel: ctx.channel,
    },
    'audit event',
  );
}
