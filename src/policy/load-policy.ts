import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compileMaskStrategy, type MaskStrategy } from './mask-strategies.js';
import { conditionCompiler } from './compile-conditions.js';
import { compileModel } from '../model/load-model.js';
import { withBuiltInStorage } from '../model/built-in-storage.js';
import type { Model } from '../model/model.js';
import { compileRequestRules, type RequestRule } from './request-rules.js';
import { policyDocumentSchema, type RuleSpec } from './policy-document.js';
import { compileReadBudget, type BudgetableResource, type ReadBudget, type ReadBudgets } from './read-budget.js';
import { formatPath, PolicySource, type PolicyPath } from './source-lines.js';

/** A CASL raw rule whose conditions may still hold `$principal.*` placeholders. */
export interface RuleTemplate {
  action: string;
  subject: string;
  fields?: string[];
  conditions?: Record<string, unknown>;
  inverted: boolean;
  reason?: string;
  /** Where the rule was written, e.g. `roles.agent.can[1]`, for previews and summaries. */
  source: string;
}

export interface ResourcePolicy {
  fields: readonly string[];
  masks: ReadonlyMap<string, MaskStrategy>;
}

/** A validated policy, compiled once at load: nothing on the request path re-parses it. */
export interface Policy {
  /** SHA-256 of the policy file's bytes, recorded in every audit event. */
  version: string;
  resources: ReadonlyMap<string, ResourcePolicy>;
  /** Each role's rules with its inherited roles' rules already folded in. */
  roles: ReadonlyMap<string, readonly RuleTemplate[]>;
  /** Principal attributes the conditions name (`sub`, claims): the ability cache key. */
  claimsUsed: readonly string[];
  /** True when a condition names a time relative to now: abilities then depend on the clock. */
  usesClock: boolean;
  /**
   * Read budgets per resource, then per role that reads it (null: unlimited for it); see
   * `ReadBudgets`. Budgets are not inherited: a role without one is unlimited whatever
   * its parents say.
   */
  readBudgets: ReadBudgets;
  /** The stored resources: tables, typed fields, parents (src/model). */
  model: Model;
  /** What each role may ask to see beyond its rules (`mayRequest`), its parents' included. */
  requestRules: ReadonlyMap<string, readonly RequestRule[]>;
  /** The document as written (parsed YAML, before defaults): tools build edited candidates from it. */
  document: unknown;
}

export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(readonly problems: string[]) {
    super(`Invalid policy:\n  ${problems.join('\n  ')}`);
  }
}

/** Loads, validates and compiles a policy file; throws PolicyError listing every problem. */
export function loadPolicyFile(file: string, hashKey: string | undefined): Policy {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new PolicyError([`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return compilePolicyText(bytes, hashKey, file);
}

/** Compiles policy YAML; the version is the SHA-256 of exactly these bytes. */
export function compilePolicyText(bytes: Buffer | string, hashKey: string | undefined, file = 'policy'): Policy {
  const source = new PolicySource(bytes.toString());
  if (source.errors.length > 0) throw new PolicyError(source.errors.map((e) => `${file}: not valid YAML: ${e}`));
  const version = createHash('sha256').update(bytes).digest('hex');
  return compilePolicy(source.doc.toJS(), version, hashKey, file, source);
}

export function compilePolicy(raw: unknown, version: string, hashKey: string | undefined, file = 'policy', source?: PolicySource): Policy {
  const at = (path: PolicyPath) => `${file}${source ? `:${source.lineOf(path)}` : ''} ${formatPath(path)}`;
  const parsed = policyDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PolicyError(parsed.error.issues.map((i) => `${at(i.path as PolicyPath)}: ${i.message}`));
  }
  const problems: string[] = [];
  const report = (path: PolicyPath, message: string) => problems.push(`${at(path)}: ${message}`);
  const doc = parsed.data;
  const conditions = conditionCompiler(doc.conditions, report);
  const model = withBuiltInStorage(compileModel(doc.resources, report), doc.resources);

  const resources = new Map<string, ResourcePolicy>();
  for (const [type, resource] of Object.entries(doc.resources)) {
    const masks = new Map<string, MaskStrategy>();
    for (const [field, spec] of Object.entries(resource.fields)) {
      if (!spec.mask) continue;
      const strategy = compileMaskStrategy(spec.mask, hashKey);
      if (typeof strategy === 'string') report(['resources', type, 'fields', field, 'mask'], strategy);
      else masks.set(field, strategy);
    }
    resources.set(type, { fields: Object.keys(resource.fields), masks });
  }

  // A budget may count any resource declared as stored (checked against the declaration,
  // so a stored resource with problems of its own does not add a second one here).
  const budgetable: BudgetableResource[] = Object.entries(doc.resources).flatMap(([name, r]) => (r.plural === undefined ? [] : [{ name, plural: r.plural }]));
  const ownRules = new Map<string, RuleTemplate[]>();
  const ownBudgets = new Map<string, readonly ReadBudget[]>();
  for (const [role, spec] of Object.entries(doc.roles)) {
    const rules: RuleTemplate[] = [];
    spec.can.forEach((rule, i) => rules.push(...compileRule(rule, false, ['roles', role, 'can', i])));
    spec.cannot.forEach((rule, i) => rules.push(...compileRule(rule, true, ['roles', role, 'cannot', i])));
    spec.inherits.forEach((parent, i) => {
      if (!doc.roles[parent]) report(['roles', role, 'inherits', i], `unknown role "${parent}"`);
    });
    ownRules.set(role, rules);
    if (spec.readBudget) {
      const { budgets, problems: wrong } = compileReadBudget(spec.readBudget, budgetable);
      wrong.forEach((p) => report(['roles', role, 'readBudget', p.key], p.message));
      ownBudgets.set(role, budgets);
    }
  }

  function compileRule(rule: RuleSpec, inverted: boolean, path: PolicyPath): RuleTemplate[] {
    const resource = resources.get(rule.subject);
    if (!resource) {
      report([...path, 'subject'], `unknown resource type "${rule.subject}"`);
      return [];
    }
    rule.fields?.forEach((field, i) => {
      if (!resource.fields.includes(field)) report([...path, 'fields', i], `unknown field "${field}" of ${rule.subject}`);
      else if (!inverted && rule.actions.includes('read_masked') && !resource.masks.has(field)) {
        report([...path, 'fields', i], `read_masked on "${field}", which has no mask strategy`);
      }
    });
    const alternatives = rule.when === undefined ? [undefined] : conditions.expandWhen(rule.when, [...path, 'when'], resource);
    return rule.actions.flatMap((action) =>
      alternatives.map((conditions) => ({
        action,
        subject: rule.subject,
        inverted,
        source: formatPath(path),
        ...(rule.fields ? { fields: rule.fields } : {}),
        ...(conditions ? { conditions } : {}),
        ...(rule.reason ? { reason: rule.reason } : {}),
      })),
    );
  }

  const roles = new Map<string, RuleTemplate[]>();
  const resolve = (role: string, trail: string[]): RuleTemplate[] => {
    if (trail.includes(role)) {
      report(['roles', role, 'inherits'], `inheritance cycle ${[...trail, role].join(' -> ')}`);
      return [];
    }
    const cached = roles.get(role);
    if (cached) return cached;
    const parents = (doc.roles[role]?.inherits ?? []).filter((p) => doc.roles[p]);
    const rules = [...parents.flatMap((p) => resolve(p, [...trail, role])), ...(ownRules.get(role) ?? [])];
    roles.set(role, rules);
    return rules;
  };
  Object.keys(doc.roles).forEach((role) => resolve(role, []));
  const readBudgets = compileReadBudgets(ownBudgets, roles);
  const requestContext = { fieldsOf: (subject: string) => resources.get(subject)?.fields, isRole: (name: string) => doc.roles[name] !== undefined, report };
  const ownRequests = new Map(Object.entries(doc.roles).map(([role, spec]) => [role, compileRequestRules(role, spec.mayRequest, requestContext)]));
  const requestRules = new Map(
    Object.keys(doc.roles).map((role) => {
      const lineage = (name: string, seen: string[]): string[] => (seen.includes(name) ? [] : [name, ...(doc.roles[name]?.inherits ?? []).flatMap((p) => lineage(p, [...seen, name]))]);
      return [role, [...new Set(lineage(role, []).flatMap((r) => ownRequests.get(r) ?? []))]];
    }),
  );

  if (problems.length > 0) throw new PolicyError(problems);
  return { version, resources, roles, readBudgets, model: { ...model, conditionFields: conditionFieldsOf(ownRules) }, requestRules, claimsUsed: [...conditions.claimsUsed].sort(), usesClock: conditions.usesClock, document: raw };
}

/**
 * Per budgeted resource, every role that can read it with its budget for it, or null
 * (unlimited) when its `readBudget` does not name the resource or it has none. A role
 * that cannot read a resource (the auditor, customers) has nothing to limit there and is
 * left out, so it neither lifts nor sets the budget of a role held beside it.
 */
function compileReadBudgets(own: ReadonlyMap<string, readonly ReadBudget[]>, roles: ReadonlyMap<string, readonly RuleTemplate[]>): ReadBudgets {
  const budgeted = new Set([...own.values()].flatMap((budgets) => budgets.map((b) => b.resource)));
  const reads = (role: string, resource: string) =>
    (roles.get(role) ?? []).some((r) => !r.inverted && r.subject === resource && (r.action === 'read' || r.action === 'read_masked'));
  const result = new Map<string, Map<string, ReadBudget | null>>();
  for (const resource of budgeted) {
    const perRole = new Map<string, ReadBudget | null>();
    for (const role of roles.keys()) {
      if (reads(role, resource)) perRole.set(role, own.get(role)?.find((b) => b.resource === resource) ?? null);
    }
    // Only when some role that reads it keeps a budget for it (not all were dropped).
    if ([...perRole.values()].some((b) => b !== null)) result.set(resource, perRole);
  }
  return result;
}

/** The fields each resource's rules test in conditions, in name order (see Model.conditionFields). */
function conditionFieldsOf(rulesByRole: ReadonlyMap<string, readonly RuleTemplate[]>): ReadonlyMap<string, readonly string[]> {
  const fields = new Map<string, Set<string>>();
  for (const rules of rulesByRole.values()) {
    for (const rule of rules) {
      if (!rule.conditions) continue;
      let set = fields.get(rule.subject);
      if (!set) fields.set(rule.subject, (set = new Set()));
      for (const field of Object.keys(rule.conditions)) set.add(field);
    }
  }
  return new Map([...fields].map(([subject, set]) => [subject, [...set].sort()]));
}
