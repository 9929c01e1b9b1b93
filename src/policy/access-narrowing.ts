import { createHash } from 'node:crypto';
import { Document, isScalar, stringify, visit } from 'yaml';
import { formatChange } from '../cli/policy/diff.js';
import { diffCompiled } from '../cli/policy/diff-policies.js';
import { grantsFor } from './role-grants.js';
import { fieldKey, holdersOf, type PersonUse } from './access-use.js';
import { PolicyError, type Policy } from './load-policy.js';

/** Compiles a candidate document with the service's hash key (PolicyStore.compileDocument). */
export type CompileDocument = (document: unknown, version: string) => Policy;

/** One field of one resource whose clear or masked reading no holder of the role used. */
export interface NarrowedField {
  resource: string;
  field: string;
  /** Which ways of reading it the edit takes away. */
  remove: Array<'clear' | 'masked'>;
}

/** A suggested edit for one role: not applied, for a person to weigh. */
export interface NarrowingSuggestion {
  role: string;
  /** People of the window who held the role (on some event). */
  holders: number;
  fields: NarrowedField[];
  /** The `cannot` rules to add under `roles.<role>.cannot`, as YAML. */
  edit: string;
  /** `npm run policy -- diff` between the policy in force and the policy with the edit. */
  diff: string[];
  /** Other roles the edit changes too (they inherit the role and do not grant those fields themselves). */
  alsoAffects: string[];
  /** Set when the candidate failed to compile: the suggestion cannot be shown as a diff. */
  problem?: string;
}

/**
 * Per role held in the window: the fields it grants clear that none of its holders read
 * clear, and those it grants masked that none read masked, with the edit that takes them
 * away (a `cannot` rule on the role, which roles inheriting it also get unless they grant
 * the field themselves: `alsoAffects` names them) and that edit's `policy diff`. Roles nobody held are left out:
 * "nobody used it" says nothing there (see `rolesNotSeen`).
 */
export function suggestNarrowing(policy: Policy, types: readonly string[], people: readonly PersonUse[], days: number, compile: CompileDocument): NarrowingSuggestion[] {
  const out: NarrowingSuggestion[] = [];
  for (const role of [...policy.roles.keys()].sort()) {
    const holders = holdersOf(role, people);
    if (holders.length === 0) continue;
    const fields: NarrowedField[] = [];
    for (const type of types) {
      for (const [field, g] of Object.entries(grantsFor(policy, [role], type))) {
        const key = fieldKey(type, field);
        const read = (how: 'clear' | 'masked') => holders.some((p) => (p.fields.get(key)?.[how] ?? 0) > 0);
        const remove = (['clear', 'masked'] as const).filter((how) => g.states.includes(how) && !read(how));
        if (remove.length > 0) fields.push({ resource: type, field, remove });
      }
    }
    if (fields.length === 0) continue;
    out.push({ role, holders: holders.length, fields, ...narrowedDiff(policy, role, cannotRules(role, fields, days), compile) });
  }
  return out;
}

function cannotRules(role: string, fields: NarrowedField[], days: number): Array<Record<string, unknown>> {
  const groups = new Map<string, { actions: string[]; subject: string; fields: string[] }>();
  for (const f of fields) {
    const actions = f.remove.map((how) => (how === 'clear' ? 'read' : 'read_masked'));
    const key = JSON.stringify([f.resource, actions]);
    const group = groups.get(key) ?? { actions, subject: f.resource, fields: [] };
    group.fields.push(f.field);
    groups.set(key, group);
  }
  const reason = `Access review: not read this way by anyone holding ${role} in ${days} days.`;
  return [...groups.values()].map((g) => ({ ...g, reason }));
}

function narrowedDiff(policy: Policy, role: string, rules: Array<Record<string, unknown>>, compile: CompileDocument): Pick<NarrowingSuggestion, 'edit' | 'diff' | 'alsoAffects' | 'problem'> {
  const edit = asYaml({ roles: { [role]: { cannot: rules } } });
  const document = structuredClone(policy.document) as { roles: Record<string, { cannot?: unknown[] }> };
  const spec = document.roles[role]!;
  spec.cannot = [...(spec.cannot ?? []), ...rules];
  const text = stringify(document);
  let candidate: Policy;
  try {
    candidate = compile(document, createHash('sha256').update(text).digest('hex'));
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return { edit, diff: [], alsoAffects: [], problem: err.problems.join('; ') };
  }
  const changes = diffCompiled(policy, candidate);
  const alsoAffects = [...new Set(changes.map((c) => c.role).filter((r) => r !== '' && r !== role))].sort();
  return { edit, diff: changes.map(formatChange), alsoAffects };
}

/** YAML as the policy files are written: lists of names in flow style, lines unwrapped. */
function asYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq: (_key, node) => {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
