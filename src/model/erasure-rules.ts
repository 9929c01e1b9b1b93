import type { EraseTreatment, FieldModel } from './model.js';

/** The legal basis of what is kept by default: the record's skeleton, not the person. */
export const STRUCTURE_BASIS = 'record structure, no personal data';

export interface FieldErasure {
  treatment: EraseTreatment;
  /** Why a kept field is kept; undefined for delete and anonymise. */
  legalBasis: string | undefined;
  /** Whether the policy declared it (else it is the default). */
  declared: boolean;
}

/**
 * What erasing a record's subject does to `f`: as the policy declares (`onErase`), else
 * the default. A file's bytes are deleted; the id, refs, generated values and `system`
 * fields are kept as the record's structure; any other field is deleted (null) where its
 * column may be null, else anonymised (anonymousValue).
 */
export function erasureOf(f: FieldModel): FieldErasure {
  if (f.onErase) return { treatment: f.onErase, legalBasis: f.onErase === 'keep' ? f.legalBasis : undefined, declared: true };
  if (f.type === 'file') return { treatment: 'delete', legalBasis: undefined, declared: false };
  if (f.type === 'id' || f.type === 'ref' || f.generated || f.class === 'system') return { treatment: 'keep', legalBasis: STRUCTURE_BASIS, declared: false };
  return { treatment: f.nullable ? 'delete' : 'anonymise', legalBasis: undefined, declared: false };
}

const ERASED = '[erased]';

/**
 * The fixed value an anonymised field takes: one per type, that passes the column's
 * constraints and the field's own write checks (format, maxLength, enum values). An
 * email becomes `erased-<first 8 characters of the record id>@invalid` (distinct per
 * record, should the column be unique): `{ emailOfKey: true }` asks the caller to build it
 * from the record's key.
 */
export type AnonymousValue = { value: string | number | boolean | readonly string[] } | { emailOfKey: true };

export function anonymousValue(f: FieldModel): AnonymousValue {
  switch (f.type) {
    case 'string':
      if (f.format === 'email') return { emailOfKey: true };
      if (f.format === 'phone') return { value: '+00 000 000 0000' };
      if (f.format === 'iban') return { value: 'XX00ERASED000000' };
      return { value: ERASED.slice(0, f.maxLength ?? ERASED.length) };
    case 'text':
      return { value: ERASED.slice(0, f.maxLength ?? ERASED.length) };
    case 'integer':
    case 'decimal':
      return { value: 0 };
    case 'boolean':
      return { value: false };
    case 'date':
      return { value: '1970-01-01' };
    case 'timestamp':
      return { value: '1970-01-01T00:00:00.000Z' };
    case 'enum':
      return { value: typeof f.default === 'string' ? f.default : f.values![0]! };
    case 'string[]':
      return { value: [] };
    default:
      // id, ref and file are refused at load (field-checks.ts).
      throw new Error(`a ${f.type} field has no anonymous form`);
  }
}
