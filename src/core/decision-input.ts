import { AppError } from '../errors.js';
import type { FieldModel } from '../model/model.js';
import type { RequestContext } from './request-context.js';

/**
 * Records a caller sends to the decisions API, checked before the policy looks at them.
 * Problems name the record's index and the field, never a value: a record is personal
 * data the caller is asking us to guard, and an error body is not the place to echo it.
 */

/** A resource whose records the decisions API decides: stored, or kept by the caller. */
export interface DecidableResource {
  name: string;
  plural: string;
  fields: readonly FieldModel[];
  id: FieldModel;
}

/** At most this many records per request; the body limit (1 MiB) bounds their size. */
export const MAX_DECISION_RECORDS = 500;
const MAX_ID_LENGTH = 128;

/** The resource named by a request, from the policy in force: stored or `storage: none`. */
export function decidableResource(ctx: RequestContext, name: string): DecidableResource {
  const { model } = ctx.policy;
  const r = model.resources.get(name) ?? model.callerKept?.get(name);
  if (!r) {
    const known = [...model.resources.keys(), ...(model.callerKept?.keys() ?? [])].join(', ');
    throw new AppError('VALIDATION_FAILED', `resource names no resource of the model with a plural (${known || 'none'}).`, {
      errors: [{ pointer: '/resource', detail: 'is not a resource of the model' }],
    });
  }
  // A stored resource's parent is not looked at: records sent are decided on their own rules.
  return { name: r.name, plural: r.plural, fields: r.fields, id: r.id };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

const isString = (v: unknown) => typeof v === 'string';
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** Whether a value sent can stand for a field of this type (null always can: an empty field). */
function fits(f: FieldModel, v: unknown): boolean {
  if (v === null) return true;
  switch (f.type) {
    case 'id':
    case 'ref':
      return isString(v) || Number.isSafeInteger(v);
    case 'integer':
      return Number.isSafeInteger(v);
    case 'decimal':
      return isString(v) || isNumber(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string[]':
      return Array.isArray(v) && v.every(isString);
    case 'file':
      return isPlainObject(v);
    case 'timestamp':
      return isString(v) && !Number.isNaN(Date.parse(v));
    default:
      return isString(v);
  }
}

/**
 * Checks every record sent: a plain object, carrying the id as a string or integer,
 * only fields the policy declares, values of the field's type, and every field the
 * policy's conditions on the resource test. A missing condition field is refused rather
 * than taken as null: null is a value the policy decides on (`privacyLevel: { ne:
 * confidential }` holds for null), absence is not knowing it, and deciding on a guess
 * would show a confidential record to someone it is hidden from.
 */
export function checkRecords(ctx: RequestContext, r: DecidableResource, records: readonly unknown[]): Record<string, unknown>[] {
  const declared = new Set(ctx.policy.resources.get(r.name)?.fields ?? []);
  const typed = new Map(r.fields.map((f) => [f.name, f]));
  const tested = ctx.policy.model.conditionFields?.get(r.name) ?? [];
  const errors: Array<{ pointer: string; detail: string }> = [];
  const at = (i: number, field?: string) => `/records/${i}${field === undefined ? '' : `/${field.replaceAll('~', '~0').replaceAll('/', '~1')}`}`;
  records.forEach((record, i) => {
    if (!isPlainObject(record)) return errors.push({ pointer: at(i), detail: 'must be an object' });
    const id = record[r.id.name];
    if (!((isString(id) && id.length > 0 && id.length <= MAX_ID_LENGTH) || Number.isSafeInteger(id))) {
      errors.push({ pointer: at(i, r.id.name), detail: `is required: the record's id, a string of 1..${MAX_ID_LENGTH} characters or an integer` });
    }
    for (const [field, value] of Object.entries(record)) {
      const f = typed.get(field);
      if (!declared.has(field)) errors.push({ pointer: at(i, field.slice(0, 64)), detail: `is not a field of ${r.name}` });
      else if (f && field !== r.id.name && !fits(f, value)) errors.push({ pointer: at(i, field), detail: `must be ${f.type === 'string[]' ? 'a list of strings' : `${/^[aeiou]/.test(f.type) ? 'an' : 'a'} ${f.type}`} or null` });
    }
    for (const field of tested) {
      if (!Object.hasOwn(record, field)) errors.push({ pointer: at(i, field), detail: `is required: the policy decides ${r.name} records on it (send null for an empty value)` });
    }
  });
  if (errors.length > 0) {
    const shown = errors.slice(0, 20);
    const unknownErrors = errors.filter((e) => e.detail.startsWith('is not a field'));
    const unknown = [...new Set(unknownErrors.map((e) => e.pointer.split('/')[3]!))];
    const code = unknownErrors.length === errors.length ? 'UNKNOWN_FIELD' : 'VALIDATION_FAILED';
    throw new AppError(code, `The records are not valid: ${shown.map((e) => `${e.pointer} ${e.detail}`).join('; ')}${errors.length > shown.length ? '; ...' : ''}.`, {
      errors: shown,
      ...(unknown.length > 0 ? { fields: unknown } : {}),
    });
  }
  return (records as Record<string, unknown>[]).map((record) => normalised(r, record));
}

/**
 * Timestamps as the policy compares them: relative-time conditions (`after: -30d`) are
 * bound to UTC ISO instants and compared as text, so `2026-12-01T10:00:00+01:00` is
 * read as the instant it names.
 */
function normalised(r: DecidableResource, record: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...record };
  for (const f of r.fields) {
    const value = copy[f.name];
    if (f.type === 'timestamp' && typeof value === 'string') copy[f.name] = new Date(value).toISOString();
  }
  return copy;
}

/** A record's id as the trail and the read budgets name it. */
export const recordId = (r: DecidableResource, record: Record<string, unknown>) => String(record[r.id.name]);
