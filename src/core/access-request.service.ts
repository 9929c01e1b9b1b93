import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../data/database.js';
import * as records from '../data/record.repository.js';
import { AppError, notFound } from '../errors.js';
import { BREAK_GLASS_REASON, requestRulesFor, type RequestRule } from '../policy/request-rules.js';
import { audit, auditingDenials } from './guard.js';
import { subjectOf } from '../policy/ability.js';
import { validationError } from './record-access.js';
import { modelOf, visibleWhere } from './record.service.js';
import type { RequestContext } from './request-context.js';

/**
 * Asking to see more: a person asks to see, for one record, fields their rules mask or
 * withhold; a person the policy names approves or denies; an approval is a grant until it
 * expires (core/access-grants.ts renders it). Break-glass approves at once, flagged. Every
 * step is an audit event naming the request; its reason and notes (people's own words)
 * stay in access_requests, out of the trail and the logs.
 */

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'revoked';
export const REQUEST_STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'denied', 'expired', 'revoked'];
const LIST_LIMIT = 100;
const PENDING_SCAN = 500;

interface RequestRow {
  id: string;
  requester_sub: string;
  requester_roles: string[];
  resource_type: string;
  record_id: string;
  fields: string[];
  reason: string;
  minutes: number;
  break_glass: boolean;
  status: RequestStatus;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  expires_at: Date | null;
  revoked_by: string | null;
  revoked_at: Date | null;
  revoke_note: string | null;
}

/** An access request as the API shows it. */
export const requestJson = (r: RequestRow) => ({
  id: r.id,
  requester: r.requester_sub,
  resource: r.resource_type,
  recordId: r.record_id,
  fields: r.fields,
  reason: r.reason,
  minutes: r.minutes,
  breakGlass: r.break_glass,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  decidedBy: r.decided_by,
  decidedAt: r.decided_at?.toISOString() ?? null,
  note: r.decision_note,
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedBy: r.revoked_by,
  revokedAt: r.revoked_at?.toISOString() ?? null,
  revokeNote: r.revoke_note,
});
export type AccessRequestJson = ReturnType<typeof requestJson>;

const fieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'must be a field name');
const requestBody = z
  .object({
    resource: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'must be a resource name'),
    id: z.string().min(1).max(128),
    fields: z.array(fieldName).min(1).max(50),
    reason: z.string().trim().min(1).max(1000),
    minutes: z.number().int().min(1).max(24 * 60),
    breakGlass: z.boolean().optional(),
  })
  .strict();
const decisionBody = z.object({ note: z.string().trim().max(1000).optional() }).strict();

/** Rows as PostgreSQL names them: the app's handle would camel-case them. */
const raw = (db: Db) => db.withoutPlugins();

const now = (ctx: RequestContext) => new Date(ctx.grantStore?.now() ?? Date.now());

/** Files a request (201 pending), or with `breakGlass` a grant at once. */
export async function requestAccess(ctx: RequestContext, body: unknown): Promise<AccessRequestJson> {
  const parsed = requestBody.safeParse(body ?? {});
  if (!parsed.success) throw validationError(parsed.error.issues);
  const input = parsed.data;
  const action = input.breakGlass ? 'access.break_glass' : 'access.requested';
  const r = modelOf(ctx, input.resource);
  return auditingDenials(ctx, { action, resourceType: r.name, resourceIds: [input.id] }, async () => {
    const rules = requestRulesFor(ctx.policy.requestRules, ctx.principal.roles).filter((rule) => rule.subject === r.name && input.fields.every((f) => rule.fields.includes(f)));
    if (rules.length === 0) throw new AppError('FORBIDDEN', `Your roles may not ask to see ${input.fields.join(', ')} of a ${r.name}.`);
    const usable = rules.filter((rule) => (input.breakGlass ? rule.breakGlass : rule.approverRoles.length + rule.approverFields.length > 0));
    if (usable.length === 0) throw new AppError('FORBIDDEN', input.breakGlass ? `Your roles may not break glass on ${r.name}.` : `Only break-glass is allowed for these fields of ${r.name}: send breakGlass: true.`);
    const longest = Math.max(...usable.map((rule) => rule.maxMinutes));
    if (input.minutes > longest) throw validationError([{ path: ['minutes'], message: `at most ${longest} for these fields` }]);
    if (input.breakGlass && input.reason.length < BREAK_GLASS_REASON) {
      throw validationError([{ path: ['reason'], message: `break-glass needs a reason of at least ${BREAK_GLASS_REASON} characters` }]);
    }
    // A record the caller cannot see does not exist for them: 404, as a read would say.
    const record = await records.findVisibleRecord(ctx.db, r, input.id, visibleWhere(ctx, r));
    if (!record) throw notFound(r.name);
    const recordId = String(record[r.id.name]);
    const at = now(ctx);
    const expires = input.breakGlass ? new Date(at.getTime() + input.minutes * 60_000) : null;
    return ctx.db.transaction().execute(async (trx) => {
      const { rows } = await sql<RequestRow>`
        INSERT INTO access_requests (requester_sub, requester_roles, resource_type, record_id, fields, reason, minutes, break_glass, status, created_at, expires_at, decided_at)
        VALUES (${ctx.principal.sub}, ${[...ctx.principal.roles]}::text[], ${r.name}, ${recordId}, ${[...input.fields]}::text[], ${input.reason}, ${input.minutes},
                ${input.breakGlass ?? false}, ${input.breakGlass ? 'approved' : 'pending'}, ${at}, ${expires}, ${input.breakGlass ? at : null})
        RETURNING *`.execute(raw(trx));
      const row = rows[0]!;
      await audit(ctx, { action, resourceType: r.name, resourceIds: [recordId], outcome: 'allowed', details: requestDetails(row) }, trx);
      if (input.breakGlass) ctx.grantStore?.forget(ctx.principal.sub);
      return requestJson(row);
    });
  });
}

/** What the trail keeps of a request: ids, field names, durations; never the reason or notes. */
const requestDetails = (row: RequestRow) => ({
  accessRequestId: row.id,
  requester: row.requester_sub,
  fields: row.fields,
  minutes: row.minutes,
  ...(row.break_glass ? { breakGlass: true } : {}),
  ...(row.expires_at ? { expiresAt: row.expires_at.toISOString() } : {}),
});

/**
 * The requests the caller may see: their own, and those they may decide (pending ones
 * whose approvers include them) or revoke (approved ones, likewise). Grants past their expiry are marked expired first, each
 * an `access.expired` event (recorded when first noticed, by whoever noticed it).
 */
export async function listAccessRequests(ctx: RequestContext, status: RequestStatus | undefined): Promise<AccessRequestJson[]> {
  await expireGrants(ctx);
  const filter = status ? sql`AND status = ${status}` : sql``;
  const own = await sql<RequestRow>`
    SELECT * FROM access_requests WHERE requester_sub = ${ctx.principal.sub} ${filter} ORDER BY created_at DESC, id LIMIT ${LIST_LIMIT}`.execute(raw(ctx.db));
  const toDecide: RequestRow[] = [];
  // Pending requests to decide, and approved grants the caller could revoke.
  const open = (status ? [status] : ['pending', 'approved']).filter((s) => s === 'pending' || s === 'approved');
  if (open.length > 0) {
    const pending = await sql<RequestRow>`
      SELECT * FROM access_requests WHERE status = ANY(${open}::text[]) AND requester_sub <> ${ctx.principal.sub} ORDER BY created_at DESC, id LIMIT ${PENDING_SCAN}`.execute(raw(ctx.db));
    for (const row of pending.rows) if (await mayDecide(ctx, row)) toDecide.push(row);
  }
  return [...own.rows, ...toDecide]
    .sort((a, b) => b.created_at.getTime() - a.created_at.getTime())
    .slice(0, LIST_LIMIT)
    .map(requestJson);
}

/**
 * Whether the caller may decide `row`: never their own; else one of the approvers its rule
 * names — a role the caller holds and the requester did not (a role does not approve its
 * own requests), or a person a field of the record names, on a record the caller can see.
 */
async function mayDecide(ctx: RequestContext, row: RequestRow, db = ctx.db): Promise<boolean> {
  if (row.requester_sub === ctx.principal.sub) return false;
  const rules: RequestRule[] = requestRulesFor(ctx.policy.requestRules, row.requester_roles).filter(
    (rule) => rule.subject === row.resource_type && row.fields.every((f) => rule.fields.includes(f)),
  );
  if (rules.some((rule) => rule.approverRoles.some((role) => ctx.principal.roles.includes(role) && !row.requester_roles.includes(role)))) return true;
  const fields = [...new Set(rules.flatMap((rule) => rule.approverFields))];
  if (fields.length === 0) return false;
  const r = ctx.policy.model.resources.get(row.resource_type);
  if (!r) return false;
  const record = await records.findVisibleRecord(db, r, row.record_id, visibleWhere(ctx, r));
  return fields.some((f) => {
    const named = record?.[f];
    return Array.isArray(named) ? named.includes(ctx.principal.sub) : named === ctx.principal.sub;
  });
}

/**
 * One change to a filed request, in one transaction with its audit event: the request is
 * read and locked, `change` checks the caller and the status (throwing 403 / 404 / 409) and
 * writes the new row, and the event names the request. Refusals are audited after the
 * transaction (on embedded PGlite its one connection is the transaction's until it ends).
 */
async function changeRequest(
  ctx: RequestContext,
  id: string,
  action: string,
  change: (row: RequestRow, trx: Db) => Promise<{ saved: RequestRow; details?: Record<string, unknown> }>,
): Promise<AccessRequestJson> {
  await expireGrants(ctx);
  let refused: { resourceType: string; resourceIds: string[] } = { resourceType: 'AccessRequest', resourceIds: [] };
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const { rows } = await sql<RequestRow>`SELECT * FROM access_requests WHERE id::text = ${id} FOR UPDATE`.execute(raw(trx));
      const row = rows[0];
      if (!row) throw new AppError('NOT_FOUND', 'Access request not found.');
      refused = { resourceType: row.resource_type, resourceIds: [row.record_id] };
      const { saved, details } = await change(row, trx);
      await audit(ctx, { action, resourceType: row.resource_type, resourceIds: [row.record_id], outcome: 'allowed', details: { ...requestDetails(saved), ...details } }, trx);
      ctx.grantStore?.forget(row.requester_sub);
      return requestJson(saved);
    });
  } catch (err) {
    if (err instanceof AppError && [403, 404, 409].includes(err.status)) {
      await audit(ctx, { action, ...refused, outcome: 'denied', reason: err.message, details: { accessRequestId: id } });
    }
    throw err;
  }
}

/** Approves (a grant for `minutes` from now) or denies a pending request. */
export async function decideAccessRequest(ctx: RequestContext, id: string, decision: 'approve' | 'deny', body: unknown): Promise<AccessRequestJson> {
  const parsed = decisionBody.safeParse(body ?? {});
  if (!parsed.success) throw validationError(parsed.error.issues);
  return changeRequest(ctx, id, decision === 'approve' ? 'access.approved' : 'access.denied', async (row, trx) => {
    // Someone who could neither have filed nor decide it learns nothing of it.
    if (row.requester_sub !== ctx.principal.sub && !(await mayDecide(ctx, row, trx))) throw new AppError('NOT_FOUND', 'Access request not found.');
    if (row.requester_sub === ctx.principal.sub) throw new AppError('FORBIDDEN', 'You may not decide your own access request.');
    if (row.status !== 'pending') throw new AppError('REQUEST_NOT_PENDING', `This access request is already ${row.status}.`, { status: row.status });
    const at = now(ctx);
    const expires = decision === 'approve' ? new Date(at.getTime() + row.minutes * 60_000) : null;
    const updated = await sql<RequestRow>`
      UPDATE access_requests SET status = ${decision === 'approve' ? 'approved' : 'denied'}, decided_by = ${ctx.principal.sub}, decided_at = ${at},
        decision_note = ${parsed.data.note ?? null}, expires_at = ${expires}
      WHERE id = ${row.id} RETURNING *`.execute(raw(trx));
    return { saved: updated.rows[0]! };
  });
}

/**
 * Takes a grant back before it expires: from the next request on it reveals nothing, on
 * this instance at once and on the others within GRANT_REFRESH_MS. The requester may
 * give up their own grant; otherwise whoever may decide such a request (its approvers),
 * or who may disable people (`update` on Principal, the owner who can cut a person off
 * anyway; the only ones for a break-glass grant, which has no approver). Others learn
 * nothing of it (404). Audited as `access.revoked`.
 */
export async function revokeAccessRequest(ctx: RequestContext, id: string, body: unknown): Promise<AccessRequestJson> {
  const parsed = decisionBody.safeParse(body ?? {});
  if (!parsed.success) throw validationError(parsed.error.issues);
  return changeRequest(ctx, id, 'access.revoked', async (row, trx) => {
    const own = row.requester_sub === ctx.principal.sub;
    const overseer = ctx.ability.can('update', subjectOf('Principal', {}));
    if (!(own || overseer || (await mayDecide(ctx, row, trx)))) throw new AppError('NOT_FOUND', 'Access request not found.');
    if (row.status !== 'approved') throw new AppError('REQUEST_NOT_PENDING', `Only an approved grant can be revoked; this access request is ${row.status}.`, { status: row.status });
    const updated = await sql<RequestRow>`
      UPDATE access_requests SET status = 'revoked', revoked_by = ${ctx.principal.sub}, revoked_at = ${now(ctx)}, revoke_note = ${parsed.data.note ?? null}
      WHERE id = ${row.id} RETURNING *`.execute(raw(trx));
    return { saved: updated.rows[0]!, details: { revokedBy: ctx.principal.sub } };
  });
}

/** Marks approved requests past their expiry as expired, each with its `access.expired` event. */
async function expireGrants(ctx: RequestContext): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const { rows } = await sql<RequestRow>`
      UPDATE access_requests SET status = 'expired' WHERE status = 'approved' AND expires_at <= ${now(ctx)} RETURNING *`.execute(raw(trx));
    for (const row of rows) {
      await audit(ctx, { action: 'access.expired', resourceType: row.resource_type, resourceIds: [row.record_id], outcome: 'allowed', details: requestDetails(row) }, trx);
    }
  });
}
