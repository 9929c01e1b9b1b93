import { randomUUID } from 'node:crypto';
import type { Db } from '../data/database.js';
import { AppError } from '../errors.js';
import type { Log } from '../log.js';
import type { AuditContext, AuditDecision } from './audit-event.js';
import { auditableId, storableText } from './audit-values.js';
import type { AuditWriter } from './audit-writer.js';

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
  const eventId = randomUUID();
  const actor = ctx.principal;
  try {
    await writer.write(
      {
        eventId,
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
        details: decision.details ?? null,
      },
      trx,
    );
  } catch (err) {
    log.error({ err: { code: (err as { code?: string }).code, type: (err as Error).name } }, 'audit write failed');
    throw new AppError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; no data was returned.');
  }
  // For log shippers: names and ids only, never a field value.
  log.info(
    {
      audit: true,
      eventId,
      actor: actor?.sub ?? null,
      action: decision.action,
      resourceType: decision.resourceType,
      resourceCount: decision.resourceIds.length,
      outcome: decision.outcome,
      channel: ctx.channel,
    },
    'audit event',
  );
  return eventId;
}
