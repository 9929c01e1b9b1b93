import { sql, type SqlBool } from 'kysely';
import { sqlFilterFor, type SqlFilter } from '../data/policy-sql.js';
import { AppError } from '../errors.js';
import { permittedFields, renderRecord, resourceOf, type RenderedRecord } from '../policy/field-access.js';
import { revealGranted } from './access-grants.js';
import { withholdForPurpose } from './purpose-consent.js';
import type { RequestContext } from './request-context.js';

/**
 * What every resource type's service shares: which records exist for the caller (as SQL),
 * how one is rendered, which sent fields it may write. Nothing here knows a type by name.
 */
export const READ_ACTIONS = ['read', 'read_masked'] as const;
const NOTHING: SqlFilter = () => sql<SqlBool>`false`;

/** The SQL form of "records of `type` this caller may see"; no rule at all means nothing. */
export const visibleFilterFor = (ctx: RequestContext, type: string, table?: string): SqlFilter =>
  sqlFilterFor(ctx.ability, READ_ACTIONS, type, undefined, table) ?? NOTHING;

/** The SQL form of "records where the caller reads `field` in clear". */
export const clearFilterFor = (ctx: RequestContext, type: string, field: string): SqlFilter =>
  sqlFilterFor(ctx.ability, ['read'], type, field) ?? NOTHING;

/**
 * The record as the caller sees it: their rules, any live grant of theirs on it, and the
 * consent its subject gave to the purpose the request declares. Every door renders here.
 */
export function renderAs(ctx: RequestContext, type: string, record: object): RenderedRecord {
  const values = record as Record<string, unknown>;
  const rendered = renderRecord(ctx.ability, ctx.policy, type, values);
  const grants = ctx.grantStore?.activeFor(ctx.policy, ctx.principal);
  if (!grants) return withholdForPurpose(ctx, type, values, rendered);
  const idField = ctx.policy.model.resources.get(type)?.id.name ?? 'id';
  // A subject's no to the declared purpose holds over any grant.
  return withholdForPurpose(ctx, type, values, revealGranted(grants, ctx.grantStore!.now(), type, values[idField], values, rendered));
}

/** 403 naming every sent field the caller's roles may not write on this record. */
export function assertWritable(ctx: RequestContext, type: string, action: 'create' | 'update', record: object, input: object): void {
  const allowed = new Set(permittedFields(ctx.ability, resourceOf(ctx.policy, type), action, type, record));
  const refused = Object.keys(input).filter((field) => !allowed.has(field));
  if (refused.length > 0) {
    throw new AppError('FIELD_NOT_WRITABLE', `Your roles may not ${action} these fields: ${refused.join(', ')}.`, { fields: refused });
  }
}

/**
 * 400 for a masked value sent back: a client that read `+39 XXX XXX XXXX` and saves the
 * form must not overwrite the real value with it.
 */
export function rejectMaskedValues(ctx: Pick<RequestContext, 'policy'>, type: string, body: object): void {
  const masks = resourceOf(ctx.policy, type).masks;
  const masked = Object.entries(body)
    .filter(([field, value]) => masks.get(field)?.looksMasked(value))
    .map(([field]) => field);
  if (masked.length > 0) {
    throw new AppError('MASKED_VALUE', `Masked values cannot be saved: ${masked.join(', ')}.`, { fields: masked });
  }
}

/** Validation problems name the field and the rule, never the value that was sent. */
export function validationError(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): AppError {
  const problems = issues.map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`);
  return new AppError('VALIDATION_FAILED', problems.join('; '), {
    fields: [...new Set(issues.map((i) => String(i.path[0] ?? 'body')))],
  });
}
