import { z } from 'zod';
import { ID_TEXT } from '../data/record.repository.js';
import type { FieldModel, ResourceModel } from '../model/model.js';
import type { Policy } from '../policy/load-policy.js';
import { parseWriteBody, type WriteSchemas } from './write-input.js';

/**
 * Write validation for any stored resource, from its model: one zod schema per field
 * type. Ids, generated timestamps and files belong to the service and are never
 * writable; a required field must be sent on create; null is accepted only where the
 * field may hold it. Built once per resource model (models are immutable).
 */
// Exported for the OpenAPI document (rest/openapi-model), which states the same limits.
export const MAX_STRING = 1_000;
export const MAX_TEXT = 20_000;
export const MAX_LIST = 100;
export const MAX_LIST_ITEM = 256;
export const MAX_EMAIL = 254;
export const DECIMAL_TEXT = /^-?[0-9]{1,30}(\.[0-9]{1,30})?$/;
export const PHONE_TEXT = /^\+?[0-9][0-9 ().-]{3,30}$/;
export const IBAN_TEXT = /^[A-Z]{2}[0-9]{2}[A-Z0-9 ]{10,34}$/;

/** Whether a caller may send this field in a create or update body. */
export const isWritable = (f: FieldModel) => f.type !== 'id' && f.type !== 'file' && f.generated === undefined;

function fieldSchema(f: FieldModel): z.ZodType {
  const base = valueSchema(f);
  return f.nullable ? base.nullable() : base;
}

function valueSchema(f: FieldModel): z.ZodType {
  switch (f.type) {
    case 'string':
      return stringSchema(f);
    case 'text':
      return z.string().max(f.maxLength ?? MAX_TEXT);
    case 'integer':
      return z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
    case 'decimal':
      // Sent as a number or a string; kept as text so no precision is lost on the way.
      return z.union([z.number().finite(), z.string().regex(DECIMAL_TEXT, 'must be a decimal number')]).transform(String);
    case 'boolean':
      return z.boolean();
    case 'date':
      return z.iso.date();
    case 'timestamp':
      return z.iso.datetime({ offset: true });
    case 'enum':
      return z.enum(f.values as [string, ...string[]]);
    case 'string[]':
      return z.array(z.string().min(1).max(MAX_LIST_ITEM)).max(MAX_LIST);
    case 'ref':
      return z.string().regex(ID_TEXT, 'must be an id');
    default:
      return z.never();
  }
}

/** The shapes a `format` asks for; values are trimmed first, as a form would send them. */
function stringSchema(f: FieldModel): z.ZodType {
  const text = z.string().trim();
  switch (f.format) {
    case 'email':
      return z.email().max(MAX_EMAIL);
    case 'phone':
      return text.regex(PHONE_TEXT, 'must be a phone number');
    case 'iban':
      return text.regex(IBAN_TEXT, 'must be an IBAN');
    default:
      // A required string must say something: an empty or blank value is refused.
      return f.required ? text.min(1).max(f.maxLength ?? MAX_STRING) : text.max(f.maxLength ?? MAX_STRING);
  }
}

const schemas = new WeakMap<ResourceModel, WriteSchemas<Record<string, unknown>>>();

function schemasOf(r: ResourceModel): WriteSchemas<Record<string, unknown>> {
  let cached = schemas.get(r);
  if (!cached) {
    const writable = Object.fromEntries(r.fields.filter(isWritable).map((f) => [f.name, fieldSchema(f)]));
    const required = Object.fromEntries(r.fields.filter((f) => isWritable(f) && f.required).map((f) => [f.name, true as const]));
    cached = {
      writable,
      create: z.object(writable).partial().required(required).strict() as unknown as z.ZodType<Record<string, unknown>>,
      update: z.object(writable).partial().strict() as unknown as z.ZodType<Record<string, unknown>>,
    };
    schemas.set(r, cached);
  }
  return cached;
}

/** Validates a create or update body for `r` (see parseWriteBody): unknown fields and masked values are refused. */
export const parseRecordInput = (policy: Policy, r: ResourceModel, body: unknown, mode: 'create' | 'update'): Record<string, unknown> =>
  parseWriteBody(policy, r.name, schemasOf(r), body, mode);

/** Values the model gives a field the caller did not send on create; `creator` fields get the caller's subject. */
export function withDefaults(r: ResourceModel, input: Record<string, unknown>, creator: string): Record<string, unknown> {
  const values = { ...input };
  for (const f of r.fields) {
    if (f.generated === 'creator') values[f.name] = creator;
    if (!isWritable(f) || f.name in values) continue;
    if (f.default !== undefined) values[f.name] = f.default;
    else if (f.type === 'string[]') values[f.name] = [];
  }
  return values;
}
