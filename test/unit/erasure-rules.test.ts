import { describe, expect, it } from 'vitest';
import { compilePolicy, loadPolicyFile, PolicyError } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { anonymousValue, erasureOf } from '../../src/model/erasure-rules.js';

// The erasure part of the policy language: `onErase` and `legalBasis` per stored field,
// the checks at load, and the defaults where nothing is declared.

const withFields = (fields: Record<string, unknown>) => ({
  resources: {
    Patient: { plural: 'patients', fields: { id: { type: 'id' }, ...fields } },
    Visit: { plural: 'visits', parent: { resource: 'Patient', field: 'patientId' }, fields: { id: { type: 'id' }, patientId: { type: 'ref', resource: 'Patient', required: true } } },
    Note: { fields: { text: { class: 'free_text', onErase: 'delete' } } },
  },
  roles: { doctor: { can: [{ actions: ['read'], subject: 'Patient' }] } },
});

const problems = (doc: unknown): string[] => {
  try {
    compilePolicy(doc, 'v', undefined, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  return [];
};

describe('onErase in the policy', () => {
  it('refuses keep without a legal basis, a basis elsewhere, and treatments the column cannot take', () => {
    const doc = withFields({
      a: { type: 'string', onErase: 'keep' },
      b: { type: 'string', onErase: 'delete', legalBasis: 'tax law' },
      c: { type: 'string', required: true, onErase: 'delete' },
      d: { type: 'string[]', onErase: 'delete' },
      e: { type: 'ref', resource: 'Patient', onErase: 'anonymise' },
      f: { type: 'file', onErase: 'anonymise' },
    });
    (doc.resources.Patient.fields as Record<string, unknown>).id = { type: 'id', onErase: 'delete' };
    expect(problems(doc)).toEqual(
      expect.arrayContaining([
        "p.yaml resources.Patient.fields.a.onErase: onErase: keep needs a legalBasis: why the field outlives the person's erasure",
        'p.yaml resources.Patient.fields.b.legalBasis: a legalBasis goes with onErase: keep only',
        'p.yaml resources.Patient.fields.c.onErase: this field cannot hold null (required, defaulted, generated or a list): use anonymise or keep',
        'p.yaml resources.Patient.fields.d.onErase: this field cannot hold null (required, defaulted, generated or a list): use anonymise or keep',
        'p.yaml resources.Patient.fields.e.onErase: a ref has no anonymous form: keep it, or delete it if it may be null',
        'p.yaml resources.Patient.fields.f.onErase: a file has no anonymous form: delete or keep it',
        'p.yaml resources.Patient.fields.id.onErase: an id names the record in the trail: it is kept (onErase: keep)',
        'p.yaml resources.Note.fields.text.onErase: onErase describes a stored field: give the resource a plural to store it',
      ]),
    );
    expect(problems(doc)).toHaveLength(8);
  });

  it('names the treatments when given another', () => {
    expect(problems(withFields({ g: { type: 'text', onErase: 'remove' } }))).toEqual(['p.yaml resources.Patient.fields.g.onErase: use one of delete, anonymise, keep']);
  });

  it('accepts what fits, and compiles it', () => {
    const doc = withFields({
      name: { type: 'string', required: true, class: 'identity', onErase: 'anonymise' },
      invoiceNo: { type: 'string', class: 'financial', onErase: 'keep', legalBasis: 'accounting (10 years)' },
      scan: { type: 'file', onErase: 'delete' },
    });
    delete (doc.resources as Record<string, unknown>).Note;
    const { model } = compilePolicy(doc, 'v', undefined, 'p.yaml');
    const fields = model.resources.get('Patient')!.fields;
    expect(fields.map((f) => [f.name, erasureOf(f)])).toEqual([
      ['id', { treatment: 'keep', legalBasis: 'record structure, no personal data', declared: false }],
      ['name', { treatment: 'anonymise', legalBasis: undefined, declared: true }],
      ['invoiceNo', { treatment: 'keep', legalBasis: 'accounting (10 years)', declared: true }],
      ['scan', { treatment: 'delete', legalBasis: undefined, declared: true }],
    ]);
  });
});

describe('the defaults', () => {
  it('on the default policy: structure and system fields kept, the rest deleted or (when required) anonymised', () => {
    const { model } = loadPolicyFile(DEFAULT_POLICY_FILE, undefined);
    const treat = (resource: string) => Object.fromEntries(model.resources.get(resource)!.fields.map((f) => [f.name, erasureOf(f).treatment]));
    expect(treat('Customer')).toEqual({
      id: 'keep', fullName: 'anonymise', email: 'delete', phone: 'delete', address: 'delete', iban: 'delete', taxId: 'delete', notes: 'delete',
      privacyLevel: 'keep', assignees: 'keep', marketingOptOut: 'keep', createdAt: 'keep', updatedAt: 'keep',
    });
    expect(treat('Document')).toMatchObject({ title: 'anonymise', content: 'delete', sha256: 'keep', category: 'keep' });
    expect(erasureOf(model.resources.get('Booking')!.fields.find((f) => f.name === 'service')!)).toEqual({ treatment: 'keep', legalBasis: 'accounting records (kept 10 years)', declared: true });
  });

  it('anonymises to a fixed value of the type that passes its checks', () => {
    const field = (extra: object) => ({ name: 'x', type: 'string', column: 'x', required: true, nullable: false, default: undefined, generated: undefined, class: 'identity', mask: undefined, description: undefined, values: undefined, ref: undefined, format: undefined, maxLength: undefined, ...extra }) as any;
    expect(anonymousValue(field({}))).toEqual({ value: '[erased]' });
    expect(anonymousValue(field({ maxLength: 3 }))).toEqual({ value: '[er' });
    expect(anonymousValue(field({ format: 'email' }))).toEqual({ emailOfKey: true });
    expect(anonymousValue(field({ format: 'phone' }))).toEqual({ value: '+00 000 000 0000' });
    expect(anonymousValue(field({ format: 'iban' }))).toEqual({ value: 'XX00ERASED000000' });
    expect(anonymousValue(field({ type: 'string[]' }))).toEqual({ value: [] });
    expect(anonymousValue(field({ type: 'enum', values: ['a', 'b'], default: 'b' }))).toEqual({ value: 'b' });
    expect(anonymousValue(field({ type: 'enum', values: ['a', 'b'] }))).toEqual({ value: 'a' });
    expect(anonymousValue(field({ type: 'date' }))).toEqual({ value: '1970-01-01' });
    expect(anonymousValue(field({ type: 'integer' }))).toEqual({ value: 0 });
  });
});
