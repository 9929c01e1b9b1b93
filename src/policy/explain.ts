import type { AppAbility } from './ability.js';
import { subjectOf } from './ability.js';
import type { Policy } from './load-policy.js';
import { resourceOf } from './field-access.js';

export interface FieldExplanation {
  decision: 'clear' | 'masked' | 'withheld';
  /** The policy rule that decided, e.g. `roles.agent.can[1]`, or null when no rule applies. */
  rule: string | null;
  mask?: string;
}

const sourceOf = (rule: { origin?: unknown } | null | undefined) =>
  ((rule?.origin as { source?: string } | undefined)?.source ?? null);

/** For each field of a record, the decision and the rule that made it. */
export function explainFields(ability: AppAbility, policy: Policy, type: string, record: object): Record<string, FieldExplanation> {
  const resource = resourceOf(policy, type);
  const target = subjectOf(type, record);
  const out: Record<string, FieldExplanation> = {};
  for (const field of resource.fields) {
    const read = ability.relevantRuleFor('read', target, field);
    if (read && !read.inverted) {
      out[field] = { decision: 'clear', rule: sourceOf(read) };
      continue;
    }
    const masked = ability.relevantRuleFor('read_masked', target, field);
    const mask = resource.masks.get(field);
    if (masked && !masked.inverted && mask) {
      out[field] = { decision: 'masked', rule: sourceOf(masked), mask: mask.name };
      continue;
    }
    out[field] = { decision: 'withheld', rule: sourceOf(read ?? masked) };
  }
  return out;
}
