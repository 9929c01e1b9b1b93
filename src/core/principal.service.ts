import { z } from 'zod';
import { listPrincipals as listRows, setStatus, type PrincipalRow } from '../data/principal-status.repository.js';
import { AppError } from '../errors.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Principal';

/** A person as `GET /v1/principals` and the disable/enable answers show them. */
export interface PrincipalView {
  sub: string;
  /** The roles of their latest event in the trail; null if never seen. */
  roles: string[] | null;
  firstSeen: string | null;
  lastSeen: string | null;
  disabled: boolean;
  /** The last enable/disable decision about the person: by whom, when and why; null if none was ever made. */
  status: { disabled: boolean; reason: string | null; changedBy: string; changedAt: string } | null;
  /** Single tokens of theirs disabled by `jti` (the person may still be enabled). */
  disabledTokens: Array<{ jti: string; reason: string | null; changedBy: string; changedAt: string }>;
}

const reason = z.string().trim().min(1).max(500);
// A token id as the identity provider wrote it; control characters never come from one.
const jti = z.string().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters').optional();
const disableBody = z.object({ reason, jti }).strict();
const enableBody = z.object({ reason: reason.optional(), jti }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

/**
 * Disables a person: from the next request on, every token of `sub` is refused (401
 * PRINCIPAL_DISABLED) on every instance, whatever the token cache holds, and an export
 * streaming to them is cut. The change and its audit event commit together; the table's
 * trigger announces it to the other instances, and this one knows at once.
 */
export async function disablePrincipal(ctx: RequestContext, sub: string, body: unknown): Promise<PrincipalView> {
  return changeStatus(ctx, sub, true, () => parse(disableBody, body));
}

/** Enables a person (or one token of theirs) again; their tokens not expired work from the next request on. */
export async function enablePrincipal(ctx: RequestContext, sub: string, body: unknown): Promise<PrincipalView> {
  return changeStatus(ctx, sub, false, () => parse(enableBody, body));
}

/** With `jti`, the decision is about that one token of the person's, not all of them. */
async function changeStatus(ctx: RequestContext, sub: string, disabled: boolean, bodyOf: () => { reason?: string | undefined; jti?: string | undefined }): Promise<PrincipalView> {
  const action = disabled ? 'principal.disable' : 'principal.enable';
  return auditingDenials(ctx, { action, resourceType: TYPE, resourceIds: [sub] }, async () => {
    assertCan(ctx, 'update', TYPE);
    const { reason: why = null, jti: token = '' } = bodyOf();
    // An admin locking themselves out is a mistake, not a leaver: another admin does it.
    if (disabled && !token && sub === ctx.principal.sub) throw new AppError('FORBIDDEN', 'You cannot disable yourself; ask another administrator.');
    const entry = await ctx.db.transaction().execute(async (trx) => {
      const changed = await setStatus(trx, sub, token, disabled, why, ctx.principal.sub);
      const details = token ? { jti: token } : null;
      await audit(ctx, { action, resourceType: TYPE, resourceIds: [sub], outcome: 'allowed', reason: why, details }, trx);
      return changed;
    });
    // Committed: this instance refuses the person now, before its own announcement arrives.
    ctx.principalStatus.apply(entry);
    const [row] = await listRows(ctx.db, null, 1, sub);
    return view(row!);
  });
}

const PAGE_LIST = 'principals:sub:asc';
/** The largest page of people (the REST door's schema says the same). */
const MAX_PAGE = 200;

/** The people the service has seen (actors of the trail) and those with a status, by `sub`, a page at a time. */
export async function listPrincipals(ctx: RequestContext, limit: number, cursor: string | undefined): Promise<{ items: PrincipalView[]; nextCursor: string | null }> {
  // The door's schema lets `Infinity` through as an integer (it is one to ajv); PostgreSQL is not the place to find out.
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new AppError('VALIDATION_FAILED', `limit must be a whole number from 1 to ${MAX_PAGE}.`);
  return auditingDenials(ctx, { action: 'list', resourceType: TYPE, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', TYPE);
    const after = await ctx.cursors.decode(PAGE_LIST, cursor);
    const rows = await listRows(ctx.db, after?.id ?? null, limit + 1);
    const page = rows.slice(0, limit);
    const items = page.map(view);
    await audit(ctx, { action: 'list', resourceType: TYPE, resourceIds: items.map((i) => i.sub), outcome: 'allowed' });
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? await ctx.cursors.encode(PAGE_LIST, last.sub, last.sub) : null;
    return { items, nextCursor };
  });
}

function view(row: PrincipalRow): PrincipalView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    sub: row.sub,
    roles: row.roles,
    firstSeen: iso(row.firstSeen),
    lastSeen: iso(row.lastSeen),
    disabled: row.disabled === true,
    status:
      row.disabled === null
        ? null
        : { disabled: row.disabled, reason: row.reason, changedBy: row.changedBy!, changedAt: iso(row.changedAt)! },
    disabledTokens: row.disabledTokens.map((t) => ({ ...t, changedAt: new Date(t.changedAt).toISOString() })),
  };
}
