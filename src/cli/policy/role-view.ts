import { subjectOf, buildAbility } from '../../policy/ability.js';
import { canSee, decideFields, permittedFields } from '../../policy/field-access.js';
import type { Policy } from '../../policy/load-policy.js';
import { ACTIONS, type Action } from '../../policy/policy-document.js';
import { principalFor, SAMPLE_SUB } from './principal.js';
import type { Scenario } from './scenarios.js';

/** What one role gets on one representative record, as the service would decide it. */
export interface RecordView {
  visible: boolean;
  /** Per field: `clear`, `masked (strategy)`, `withheld`, or `not declared` by this policy. */
  fields: Record<string, string>;
  /** Per non-read action: the fields it may touch, or null when denied. */
  actions: Record<string, string[] | null>;
  /** Per denied action: the reason a `cannot` rule gives, if any. */
  reasons: Record<string, string>;
}

export const NOT_DECLARED = 'not declared';
const READS = new Set(['read', 'read_masked']);

/** Actions beyond reading: the language's own plus any a policy grants (kept generic). */
export function writeActions(policies: Policy[]): string[] {
  const extra = policies.flatMap((p) => [...p.roles.values()].flat().map((r) => r.action));
  return [...new Set([...ACTIONS, ...extra])].filter((a) => !READS.has(a));
}

/**
 * Evaluates a role on each scenario with the engine's own functions (buildAbility,
 * canSee, decideFields, permittedFields), so the tools can never disagree with the
 * service. A role the policy does not know, like a missing resource type, gets nothing.
 */
export function viewRole(
  policy: Policy,
  role: string,
  type: string,
  fields: readonly string[],
  actions: readonly string[],
  scenarios: readonly Scenario[],
): RecordView[] {
  const resource = policy.resources.get(type);
  const ability = buildAbility(policy, principalFor(SAMPLE_SUB, policy.roles.has(role) ? [role] : []));
  return scenarios.map(({ record }) => {
    const view: RecordView = { visible: false, fields: {}, actions: {}, reasons: {} };
    if (!resource) {
      for (const f of fields) view.fields[f] = NOT_DECLARED;
      for (const a of actions) view.actions[a] = null;
      return view;
    }
    view.visible = canSee(ability, type, record);
    const decision = decideFields(ability, policy, type, record);
    for (const f of fields) {
      if (!resource.fields.includes(f)) view.fields[f] = NOT_DECLARED;
      // A record that does not exist for the caller shows nothing at all.
      else if (!view.visible || decision.withheld.includes(f)) view.fields[f] = 'withheld';
      else if (decision.masked.includes(f)) view.fields[f] = `masked (${resource.masks.get(f)!.name})`;
      else view.fields[f] = 'clear';
    }
    const subject = subjectOf(type, record);
    for (const action of actions) {
      if (ability.can(action, subject)) {
        view.actions[action] = permittedFields(ability, resource, action as Action, type, record);
      } else {
        view.actions[action] = null;
        const reason = ability.relevantRuleFor(action, subject)?.reason;
        if (reason) view.reasons[action] = reason;
      }
    }
    return view;
  });
}
