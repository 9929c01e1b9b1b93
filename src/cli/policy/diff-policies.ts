import { describeSet } from './describe-set.js';
import type { Policy } from '../../policy/load-policy.js';
import { roleInfoOf, type LoadedPolicy } from './load.js';
import { viewRole, writeActions, type RecordView } from './role-view.js';
import { dimensionsFor, factsFor, scenariosFor, type Scenario } from './scenarios.js';

/** One effect of the edit: who (role or '' for the policy itself), on what, and when. */
export interface PolicyChange {
  role: string;
  subject: string;
  change: string;
  /** Records it applies to: null = every record concerned, else alternatives in words. */
  when: string[] | null;
}

const union = (a: Iterable<string>, b: Iterable<string>) => [...new Set([...a, ...b])];

/** Groups scenarios by a key computed from (old, new) views, skipping unchanged ones. */
function groupBy(scenarios: Scenario[], key: (i: number) => string | null): Map<string, Scenario[]> {
  const groups = new Map<string, Scenario[]>();
  scenarios.forEach((s, i) => {
    const k = key(i);
    if (k !== null) groups.set(k, [...(groups.get(k) ?? []), s]);
  });
  return groups;
}

function resourceChanges(a: LoadedPolicy, b: LoadedPolicy): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const add = (subject: string, change: string) => changes.push({ role: '', subject, change, when: null });
  for (const type of union(a.policy.resources.keys(), b.policy.resources.keys())) {
    const [ra, rb] = [a.policy.resources.get(type), b.policy.resources.get(type)];
    if (!ra || !rb) {
      add(type, ra ? 'resource type removed' : 'resource type added');
      continue;
    }
    for (const f of union(ra.fields, rb.fields)) {
      if (!ra.fields.includes(f)) add(`${type}.${f}`, 'field added');
      else if (!rb.fields.includes(f)) add(`${type}.${f}`, 'field removed');
      else {
        const [ma, mb] = [ra.masks.get(f)?.name ?? 'none', rb.masks.get(f)?.name ?? 'none'];
        if (ma !== mb) add(`${type}.${f}`, `mask ${ma} -> ${mb}`);
      }
    }
  }
  return changes;
}

function roleChanges(a: LoadedPolicy, b: LoadedPolicy, role: string): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const [ia, ib] = [a.roleInfo.get(role)?.inherits ?? [], b.roleInfo.get(role)?.inherits ?? []];
  if (a.policy.roles.has(role) && b.policy.roles.has(role) && ia.join() !== ib.join()) {
    changes.push({ role, subject: 'inherits', change: `${ia.join(', ') || '(nothing)'} -> ${ib.join(', ') || '(nothing)'}`, when: null });
  }
  const actions = writeActions([a.policy, b.policy]);
  for (const type of union(a.policy.resources.keys(), b.policy.resources.keys())) {
    const fields = union(a.policy.resources.get(type)?.fields ?? [], b.policy.resources.get(type)?.fields ?? []);
    const dims = dimensionsFor([a.policy, b.policy], type);
    const facts = factsFor(dims);
    const scenarios = scenariosFor(dims, fields);
    const before = viewRole(a.policy, role, type, fields, actions, scenarios);
    const after = viewRole(b.policy, role, type, fields, actions, scenarios);
    const add = (subject: string, groups: Map<string, Scenario[]>, universe: Scenario[]) => {
      for (const [change, set] of groups) changes.push({ role, subject, change, when: describeSet(set, universe, facts) });
    };
    const seen = (v: RecordView) => (v.visible ? 'visible' : 'hidden');
    add(type, groupBy(scenarios, (i) => (before[i]!.visible === after[i]!.visible ? null : `records ${seen(before[i]!)} -> ${seen(after[i]!)}`)), scenarios);
    // Field changes are stated over the records the role sees under either policy.
    const relevant = scenarios.filter((_, i) => before[i]!.visible || after[i]!.visible);
    const relevantIdx = relevant.map((s) => scenarios.indexOf(s));
    for (const f of fields) {
      const groups = groupBy(relevant, (j) => {
        const [x, y] = [before[relevantIdx[j]!]!.fields[f], after[relevantIdx[j]!]!.fields[f]];
        return x === y ? null : `${x} -> ${y}`;
      });
      add(`${type}.${f}`, groups, relevant);
    }
    for (const action of actions) {
      const gainLoss = groupBy(scenarios, (i) => {
        const [x, y] = [before[i]!.actions[action], after[i]!.actions[action]];
        return (x === null) === (y === null) ? null : x === null ? `gains ${action}` : `loses ${action}`;
      });
      add(type, gainLoss, scenarios);
      const fieldShift = groupBy(scenarios, (i) => {
        const [x, y] = [before[i]!.actions[action], after[i]!.actions[action]];
        if (!x || !y) return null;
        const plus = y.filter((f) => !x.includes(f)).map((f) => `+${f}`);
        const minus = x.filter((f) => !y.includes(f)).map((f) => `-${f}`);
        return plus.length + minus.length === 0 ? null : `${action} fields ${[...plus, ...minus].join(' ')}`;
      });
      add(type, fieldShift, scenarios.filter((_, i) => before[i]!.actions[action] && after[i]!.actions[action]));
    }
  }
  return changes;
}

/**
 * Everything an edit changes for the people holding each role, evaluated with the
 * engine on the same representative records for both files. A role only one file
 * declares is compared with "no role", which grants nothing.
 */
export function diffPolicies(a: LoadedPolicy, b: LoadedPolicy): PolicyChange[] {
  const roles = union(a.policy.roles.keys(), b.policy.roles.keys());
  const membership: PolicyChange[] = roles
    .filter((r) => !a.policy.roles.has(r) || !b.policy.roles.has(r))
    .map((r) => ({ role: r, subject: 'role', change: a.policy.roles.has(r) ? 'removed' : 'added', when: null }));
  return [...membership, ...resourceChanges(a, b), ...roles.flatMap((r) => roleChanges(a, b, r))];
}

/** The same, for two policies compiled in the service (the one in force and a candidate). */
export function diffCompiled(inForce: Policy, candidate: Policy): PolicyChange[] {
  const loaded = (policy: Policy, file: string): LoadedPolicy => ({ file, policy, roleInfo: roleInfoOf(policy.document, [...policy.roles.keys()]) });
  return diffPolicies(loaded(inForce, 'in force'), loaded(candidate, 'candidate'));
}
