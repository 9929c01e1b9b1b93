import { subject as asSubject } from '@casl/ability';
import type { AuditDecision } from '../audit/audit-event.js';
import { canSee, permittedFields, resourceOf } from '../policy/field-access.js';
import type { RenderedRecord } from '../policy/field-access.js';
import type { Action } from '../policy/policy-document.js';
import { checkRecords, decidableResource, recordId, type DecidableResource } from './decision-input.js';
import { assertCan, auditAll, auditingDenials, mergeDecisions } from './guard.js';
import { enforceReadBudget } from './read-budget.js';
import { isWritable } from './record-input.js';
import { renderAs } from './record-access.js';
import type { RequestContext } from './request-context.js';

/**
 * The decisions API: the policy applied to records the caller keeps in its own system
 * and sends with the end user's token. Rendering is a read of those records, exactly as
 * for our own: visibility, masks, `_access`, the read budget and one audit event. The
 * records are decided on their own rules only; a parent's visibility is not known here.
 */

/** What the trail says of every decisions event: the records came from the caller. */
const SOURCE = { source: 'caller' } as const;

export interface RenderRequest {
  resource: string;
  records: unknown[];
}

export interface RenderResult {
  items: RenderedRecord[];
  /** Records the caller sent that do not exist for its user: left out, counted here. */
  dropped: number;
}

/** The sent records the user may see, rendered; the others dropped and counted. */
export async function renderRecords(ctx: RequestContext, request: RenderRequest): Promise<RenderResult> {
  const r = decidableResource(ctx, request.resource);
  const records = checkRecords(ctx, r, request.records);
  return auditingDenials(ctx, { action: 'list', resourceType: r.name, resourceIds: [], details: { ...SOURCE } }, async () => {
    assertCan(ctx, 'read', r.name);
    const items: RenderedRecord[] = [];
    const shownIds: string[] = [];
    const droppedIds: string[] = [];
    for (const record of records) {
      if (!canSee(ctx.ability, r.name, record)) {
        droppedIds.push(recordId(r, record));
        continue;
      }
      items.push(onlySent(renderAs(ctx, r.name, record), record));
      shownIds.push(recordId(r, record));
    }
    const ids = [...new Set(shownIds)];
    await enforceReadBudget(ctx, r.name, { action: 'list', resourceIds: [], details: { ...SOURCE } }, ids);
    const details = { ...SOURCE, records: records.length, dropped: droppedIds.length };
    const events: AuditDecision[] = [];
    if (ids.length > 0 || droppedIds.length === 0) {
      events.push({ action: 'list', resourceType: r.name, resourceIds: ids, outcome: 'allowed', ...mergeDecisions(items.map((i) => i.access)), details });
    }
    if (droppedIds.length > 0) {
      const reason = `${droppedIds.length} ${r.name} record(s) sent do not exist for the caller under the policy; they were left out.`;
      events.push({ action: 'list', resourceType: r.name, resourceIds: [...new Set(droppedIds)], outcome: 'denied', reason, details });
    }
    // Both events or neither: the rendered records leave only once the trail has them.
    await ctx.db.transaction().execute((trx) => auditAll(ctx, events, trx));
    return { items, dropped: droppedIds.length };
  });
}

/** A field the caller did not send is not in the answer, whatever the decision on it. */
function onlySent(rendered: RenderedRecord, sent: Record<string, unknown>): RenderedRecord {
  const values = Object.fromEntries(Object.entries(rendered.values).filter(([field]) => Object.hasOwn(sent, field)));
  return { values, access: rendered.access };
}

export const CHECK_ACTIONS = ['read', 'create', 'update', 'delete', 'export'] as const;
export type CheckAction = (typeof CHECK_ACTIONS)[number];

export interface CheckRequest {
  resource: string;
  actions: CheckAction[];
  records: unknown[];
}

export interface ActionDecision {
  allowed: boolean;
  /** When refused: the policy's reason, or ours when no rule gives one. */
  reason?: string;
  /** create and update, when allowed: the fields the user may write on this record. */
  fields?: string[];
}

export interface CheckResult {
  results: Array<{ id: string; actions: Partial<Record<CheckAction, ActionDecision>> }>;
}

/**
 * Per record and action: may the user do it, and if not, why. Decided as the service
 * decides its own records: update and delete need the record to exist for the user,
 * create is decided on the record as it would be created. Audited as one `check` event.
 */
export async function checkRecordsAccess(ctx: RequestContext, request: CheckRequest): Promise<CheckResult> {
  const r = decidableResource(ctx, request.resource);
  const records = checkRecords(ctx, r, request.records);
  const actions = [...new Set(request.actions)];
  let refused = 0;
  const results = records.map((record) => {
    const decided: Partial<Record<CheckAction, ActionDecision>> = {};
    for (const action of actions) {
      const decision = decide(ctx, r, action, record);
      if (!decision.allowed) refused += 1;
      decided[action] = decision;
    }
    return { id: recordId(r, record), actions: decided };
  });
  await auditAll(ctx, [
    {
      action: 'check',
      resourceType: r.name,
      resourceIds: [...new Set(results.map((x) => x.id))],
      outcome: 'allowed',
      details: { ...SOURCE, actions, records: records.length, refused },
    },
  ], ctx.db);
  return { results };
}

function decide(ctx: RequestContext, r: DecidableResource, action: CheckAction, record: Record<string, unknown>): ActionDecision {
  const visible = canSee(ctx.ability, r.name, record);
  if (action === 'read') return visible ? { allowed: true } : refusal(ctx, r, 'read', record);
  // The service answers 404 to an update or delete of a record its user cannot see.
  if ((action === 'update' || action === 'delete') && !visible) return { allowed: false, reason: `The ${r.name} does not exist for you, so you may not ${action} it.` };
  if (!ctx.ability.can(action, asSubject(r.name, { ...record }))) return refusal(ctx, r, action, record);
  if (action !== 'create' && action !== 'update') return { allowed: true };
  const writable = new Set(r.fields.filter(isWritable).map((f) => f.name));
  const fields = permittedFields(ctx.ability, resourceOf(ctx.policy, r.name), action, r.name, record).filter((f) => writable.has(f));
  return { allowed: true, fields };
}

function refusal(ctx: RequestContext, r: DecidableResource, action: Action, record: Record<string, unknown>): ActionDecision {
  const target = asSubject(r.name, { ...record });
  const reason = ctx.ability.relevantRuleFor(action, target)?.reason;
  if (reason) return { allowed: false, reason };
  return { allowed: false, reason: action === 'read' ? `The ${r.name} does not exist for you: your roles do not let you see it.` : `Your roles do not allow ${action} on ${r.name}.` };
}
