import { subject as asSubject } from '@casl/ability';
import type { AuditDecision } from '../audit/audit-event.js';
import { recordAuditEvent, recordAuditEventsIn } from '../audit/audit-trail.js';
import type { Db } from '../data/database.js';
import { AppError } from '../errors.js';
import type { FieldDecision } from '../policy/field-access.js';
import type { Action } from '../policy/policy-document.js';
import type { RequestContext } from './request-context.js';

/** Records an audit event for this request; throws AUDIT_UNAVAILABLE (503) if it cannot. */
export const audit = (ctx: RequestContext, decision: AuditDecision, trx?: Db) =>
  recordAuditEvent(ctx.auditWriter, ctx.log, ctx.audit, decision, trx);

/** Several events in one statement of the caller's transaction, in this order. */
export const auditAll = (ctx: RequestContext, decisions: AuditDecision[], trx: Db) => recordAuditEventsIn(ctx.auditWriter, trx, ctx.log, ctx.audit, decisions);

/**
 * Runs `work`; a 403, 404 or HAS_CHILDREN it throws is recorded as a denied event first,
 * so every denial is in the trail. If even that record fails, the caller gets 503.
 */
export async function auditingDenials<T>(
  ctx: RequestContext,
  what: Pick<AuditDecision, 'action' | 'resourceType' | 'resourceIds' | 'details'>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AppError && (err.status === 403 || err.status === 404 || err.code === 'HAS_CHILDREN')) {
      await audit(ctx, { ...what, outcome: 'denied', reason: err.message });
    }
    throw err;
  }
}

/** 403 unless the caller may `action` on this record (or on some record of the type), or on its `field`. */
export function assertCan(ctx: RequestContext, action: Action, type: string, record?: object, field?: string): void {
  const target = record ? asSubject(type, { ...record }) : type;
  if (ctx.ability.can(action, target, field)) return;
  const reason = ctx.ability.relevantRuleFor(action, target, field)?.reason;
  throw new AppError('FORBIDDEN', reason ?? `Your roles do not allow ${action} on ${type}.`);
}

/**
 * Field decisions for the audit row: the union over every record in a response, and the
 * grants (approved access requests) that revealed any of them.
 */
export function mergeDecisions(decisions: FieldDecision[]): Required<Pick<AuditDecision, 'fieldsClear' | 'fieldsMasked' | 'fieldsWithheld'>> & Pick<AuditDecision, 'grants'> {
  // Records with the same pattern share one decision object: merge each once.
  const distinct = [...new Set(decisions)];
  const union = (key: 'clear' | 'masked' | 'withheld') => [...new Set(distinct.flatMap((d) => d[key]))];
  const grants = [...new Set(distinct.flatMap((d) => d.grants ?? []))];
  return { fieldsClear: union('clear'), fieldsMasked: union('masked'), fieldsWithheld: union('withheld'), ...(grants.length > 0 ? { grants } : {}) };
}
