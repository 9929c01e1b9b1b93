import { z } from 'zod';
import { findVisibleRecord } from '../data/record.repository.js';
import { AppError } from '../errors.js';
import { explainFields, type FieldExplanation } from '../policy/explain.js';
import { renderRecord } from '../policy/field-access.js';
import { PolicyError } from '../policy/load-policy.js';
import { policyMatrix, type RoleMatrix } from '../policy/policy-matrix.js';
import { countReads, modelOf, visibleWhere } from './record.service.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { withholdForPurpose } from './purpose-consent.js';
import type { RequestContext } from './request-context.js';

export interface PolicyOverview {
  version: string;
  loadedAt: string;
  roles: Record<string, RoleMatrix>;
}

/** The running policy: version, load time and the role -> field matrix. */
export async function describePolicy(ctx: RequestContext): Promise<PolicyOverview> {
  return auditingDenials(ctx, { action: 'read', resourceType: 'Policy', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'Policy');
    const { policy, loadedAt } = ctx.policyStore.current;
    return { version: policy.version, loadedAt: loadedAt.toISOString(), roles: policyMatrix(policy) };
  });
}

const previewBody = z
  .object({
    principal: z
      .object({
        sub: z.string().min(1).max(256),
        roles: z.array(z.string().min(1).max(100)).max(20),
        claims: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
      })
      .strict(),
    /** Any stored resource of the model. */
    resource: z.string().min(1).max(100),
    id: z.string().max(128),
  })
  .strict();

export interface PolicyPreview {
  /** False when the record would not exist for that principal (404 / absent). */
  visible: boolean;
  object: Record<string, unknown> | null;
  fields: Record<string, FieldExplanation>;
}

/**
 * "Log in as the user to check the settings", without anyone's password: the record
 * exactly as that principal would receive it, and per field the rule that decided.
 * The previewer must be able to see the record; the preview is audited.
 */
export async function previewAs(ctx: RequestContext, body: unknown): Promise<PolicyPreview> {
  const named = (body as { resource?: unknown } | null)?.resource;
  const resourceType = typeof named === 'string' && ctx.policy.model.resources.has(named) ? named : 'Policy';
  return auditingDenials(ctx, { action: 'preview', resourceType, resourceIds: [] }, async () => {
    assertCan(ctx, 'preview', 'Policy');
    const parsed = previewBody.safeParse(body);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    }
    const { principal, resource, id } = parsed.data;
    if (!ctx.policy.model.resources.has(resource)) {
      throw new AppError('VALIDATION_FAILED', `resource: must be a stored resource of the model (${[...ctx.policy.model.resources.keys()].join(', ')}).`);
    }
    const r = modelOf(ctx, resource);
    const record = await findVisibleRecord(ctx.db, r, id, visibleWhere(ctx, r));
    if (!record) throw new AppError('NOT_FOUND', `${resource} not found.`);
    // The previewer sees the record as someone else would: it counts as the previewer's read.
    await countReads(ctx, r, 'read', [String(record[r.id.name])]);
    const ability = ctx.policyStore.abilityFor(ctx.policy, { ...principal, tokenId: null });
    // Whether it exists for them, parents included, asked of the database as their own reads are.
    const as = { ...ctx, ability };
    const visible = (await findVisibleRecord(ctx.db, r, id, visibleWhere(as, r))) !== undefined;
    // A preview declaring a purpose (X-Purpose) is a read for it: a subject's no holds here too.
    const rendered = withholdForPurpose(ctx, resource, record, renderRecord(ability, ctx.policy, resource, { ...record }));
    await audit(ctx, {
      action: 'preview',
      resourceType: resource,
      resourceIds: [String(record[r.id.name])],
      outcome: 'allowed',
      fieldsClear: rendered.access.clear,
      fieldsMasked: rendered.access.masked,
      fieldsWithheld: rendered.access.withheld,
      details: { as: { sub: principal.sub, roles: principal.roles }, visible },
    });
    return {
      visible,
      object: visible ? { ...rendered.values, _access: { masked: rendered.access.masked, withheld: rendered.access.withheld } } : null,
      fields: explainFields(ability, ctx.policy, resource, record),
    };
  });
}

/** Reloads the policy file; an invalid one is refused with its problems and the old one stays. */
export async function reloadPolicy(ctx: RequestContext): Promise<{ previous: string; current: string }> {
  return auditingDenials(ctx, { action: 'reload', resourceType: 'Policy', resourceIds: [] }, async () => {
    assertCan(ctx, 'reload', 'Policy');
    let result: { previous: string; current: string };
    try {
      result = ctx.policyStore.reload();
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      await audit(ctx, { action: 'reload', resourceType: 'Policy', resourceIds: [], outcome: 'denied', reason: 'invalid policy file', details: { problems: err.problems.length } });
      throw new AppError('POLICY_INVALID', 'The policy file is invalid; the running policy was kept.', { problems: err.problems });
    }
    await audit(ctx, { action: 'reload', resourceType: 'Policy', resourceIds: [], outcome: 'allowed', details: result });
    ctx.log.info({ previous: result.previous, current: result.current }, 'policy reloaded');
    return result;
  });
}
