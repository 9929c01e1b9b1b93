import type { PolicyPath } from '../policy/source-lines.js';
import type { Report } from './field-checks.js';
import type { PurposeSpec } from './model-document.js';
import type { FieldModel, PurposeModel } from './model.js';

/**
 * Compiles a stored resource's `purposes:`: exactly one of optOut / optIn, naming a
 * boolean field of the resource; contact fields that exist (never the id or the consent
 * field itself, both needed to name and decide the record). Every problem is reported at
 * its key; undefined when the resource declares none.
 */
export function compilePurposes(declared: Record<string, PurposeSpec> | undefined, fields: readonly FieldModel[], path: PolicyPath, report: Report): ReadonlyMap<string, PurposeModel> | undefined {
  if (!declared) return undefined;
  const byName = new Map(fields.map((f) => [f.name, f]));
  const purposes = new Map<string, PurposeModel>();
  for (const [name, spec] of Object.entries(declared)) {
    const at: PolicyPath = [...path, 'purposes', name];
    const kind = spec.optOut !== undefined ? 'optOut' : 'optIn';
    if ((spec.optOut === undefined) === (spec.optIn === undefined)) {
      report(at, 'give exactly one consent field: optOut (true = the subject said no) or optIn (only true = the subject said yes)');
      continue;
    }
    const consentName = spec[kind]!;
    const consent = byName.get(consentName);
    let ok = true;
    if (!consent) {
      report([...at, kind], `unknown field "${consentName}"`);
      ok = false;
    } else if (consent.type !== 'boolean') {
      report([...at, kind], `"${consentName}" is a ${consent.type}: the consent field must be a boolean`);
      ok = false;
    }
    spec.contact.forEach((field, i) => {
      const f = byName.get(field);
      if (!f) report([...at, 'contact', i], `unknown field "${field}"`);
      else if (f.type === 'id' || field === consentName) report([...at, 'contact', i], `"${field}" names or decides the record: it cannot be a contact field`);
      else if (f.column === null) report([...at, 'contact', i], `"${field}" is a file: an audience gives fields of a row`);
      else return;
      ok = false;
    });
    if (new Set(spec.contact).size !== spec.contact.length) {
      report([...at, 'contact'], 'lists a field twice');
      ok = false;
    }
    if (ok) purposes.set(name, { name, consent: { field: consent!, kind }, contact: spec.contact });
  }
  return purposes.size > 0 ? purposes : undefined;
}
