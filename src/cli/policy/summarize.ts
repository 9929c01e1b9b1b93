import { describeSet } from './describe-set.js';
import { ancestors, type LoadedPolicy } from './load.js';
import { viewRole, writeActions } from './role-view.js';
import { dimensionsFor, factsFor, scenariosFor } from './scenarios.js';

/** A field's outcome: the first state holds unless a later one's `when` does. */
export interface FieldSummary {
  field: string;
  states: { state: string; when: string[] | null }[];
}

export interface ResourceSummary {
  type: string;
  /** Which records exist for the role: null = all, [] = none, else alternatives. */
  records: string[] | null;
  fields: FieldSummary[];
  actions: { action: string; when: string[] | null; fields: string[] | 'all' }[];
  denied: { action: string; reason: string | null }[];
  /**
   * The role's own read budget for this resource; `unlimited` when the policy budgets the
   * resource for some role but not this one (a person holding it is unlimited there);
   * null when no role's budget names the resource or this role cannot read it.
   */
  budget: { limit: number; plural: string; window: string; onExceed: 'block' | 'alert' } | 'unlimited' | null;
}

export interface RoleSummary {
  role: string;
  description: string | null;
  inherits: string[];
  inheritsAll: string[];
  resources: ResourceSummary[];
}

export interface PolicySummary {
  file: string;
  version: string;
  resources: { type: string; fields: { field: string; mask: string | null }[] }[];
  roles: RoleSummary[];
}

// Least revealing first, so a field reads "masked; clear when ..." rather than the reverse.
const rank = (state: string) => (state === 'withheld' ? 0 : state.startsWith('masked') ? 1 : 2);

export function summarize({ file, policy, roleInfo }: LoadedPolicy): PolicySummary {
  const actions = writeActions([policy]);
  const resources = [...policy.resources].map(([type, r]) => ({
    type,
    fields: r.fields.map((field) => ({ field, mask: r.masks.get(field)?.name ?? null })),
  }));
  const roles = [...policy.roles.keys()].map((role): RoleSummary => ({
    role,
    description: roleInfo.get(role)?.description ?? null,
    inherits: roleInfo.get(role)?.inherits ?? [],
    inheritsAll: ancestors(roleInfo, role),
    resources: resources.map(({ type, fields: declared }) => {
      const fields = declared.map((f) => f.field);
      const dims = dimensionsFor([policy], type);
      const facts = factsFor(dims);
      const scenarios = scenariosFor(dims, fields);
      const views = viewRole(policy, role, type, fields, actions, scenarios);
      const visible = scenarios.filter((_, i) => views[i]!.visible);

      const fieldSummaries = visible.length === 0 ? [] : fields.map((field): FieldSummary => {
        const states = [...new Set(visible.map((s) => views[scenarios.indexOf(s)]!.fields[field]!))].sort((a, b) => rank(a) - rank(b));
        return {
          field,
          states: states.map((state, i) => ({
            state,
            when: i === 0 ? null : describeSet(visible.filter((s) => views[scenarios.indexOf(s)]!.fields[field] === state), visible, facts),
          })),
        };
      });

      const granted: ResourceSummary['actions'] = [];
      const denied: ResourceSummary['denied'] = [];
      for (const action of actions) {
        const allowed = scenarios.filter((_, i) => views[i]!.actions[action] !== null);
        if (allowed.length === 0) {
          denied.push({ action, reason: views.map((v) => v.reasons[action]).find((r) => r !== undefined) ?? null });
          continue;
        }
        const touched = new Set(allowed.flatMap((s) => views[scenarios.indexOf(s)]!.actions[action]!));
        granted.push({
          action,
          when: describeSet(allowed, scenarios, facts),
          fields: touched.size === fields.length ? 'all' : fields.filter((f) => touched.has(f)),
        });
      }
      const perRole = policy.readBudgets.get(type);
      const own = perRole?.has(role) ? perRole.get(role) : undefined;
      const budget = own === undefined ? null : own === null ? 'unlimited' : { limit: own.limit, plural: own.plural, window: own.window, onExceed: own.onExceed };
      return { type, records: describeSet(visible, scenarios, facts), fields: fieldSummaries, actions: granted, denied, budget };
    }),
  }));
  return { file, version: policy.version, resources, roles };
}
