import type { Policy, RuleTemplate } from './load-policy.js';

export interface FieldGrant {
  decision: 'clear' | 'masked' | 'denied';
  /** The rule's conditions (placeholders unbound), or null when it holds for every record. */
  when: Record<string, unknown> | null;
  rule: string;
}

export interface RoleMatrix {
  /** resource type -> field -> the grants that can apply, strongest first. */
  fields: Record<string, Record<string, FieldGrant[]>>;
  /** resource type -> actions some rule grants (possibly only on some records). */
  actions: Record<string, string[]>;
}

const decisionOf = (rule: RuleTemplate): FieldGrant['decision'] | null =>
  rule.inverted ? (rule.action === 'read' || rule.action === 'read_masked' ? 'denied' : null) : rule.action === 'read' ? 'clear' : rule.action === 'read_masked' ? 'masked' : null;

/**
 * Role -> field matrix of the policy, read from the compiled rules (inheritance folded
 * in). A field with no grant is withheld. Later rules override earlier ones, so grants
 * are listed last-written first.
 */
export function policyMatrix(policy: Policy): Record<string, RoleMatrix> {
  const out: Record<string, RoleMatrix> = {};
  for (const [role, rules] of policy.roles) {
    const matrix: RoleMatrix = { fields: {}, actions: {} };
    for (const [type, resource] of policy.resources) {
      const fields: Record<string, FieldGrant[]> = Object.fromEntries(resource.fields.map((f) => [f, []]));
      const actions = new Set<string>();
      for (const rule of [...rules].reverse()) {
        if (rule.subject !== type) continue;
        if (!rule.inverted && rule.action !== 'read_masked') actions.add(rule.action);
        const decision = decisionOf(rule);
        if (!decision) continue;
        for (const field of rule.fields ?? resource.fields) {
          fields[field]?.push({ decision, when: rule.conditions ?? null, rule: rule.source });
        }
      }
      matrix.fields[type] = fields;
      matrix.actions[type] = [...actions].sort();
    }
    out[role] = matrix;
  }
  return out;
}
