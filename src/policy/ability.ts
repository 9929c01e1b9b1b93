import { createMongoAbility, subject as asSubject, type MongoAbility, type RawRuleOf } from '@casl/ability';
import type { Principal } from '../auth/principal.js';
import type { Policy, RuleTemplate } from './load-policy.js';

export type AppAbility = MongoAbility;

/** Replaces `$principal.*` placeholders in a rule's conditions with the caller's values. */
function bind(value: unknown, principal: Principal): unknown {
  if (value === '$principal.sub') return principal.sub;
  if (Array.isArray(value)) return value.map((v) => bind(v, principal));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bind(v, principal)]));
  }
  return value;
}

const toRawRule = (rule: RuleTemplate, principal: Principal): RawRuleOf<AppAbility> => ({
  action: rule.action,
  subject: rule.subject,
  inverted: rule.inverted,
  ...(rule.fields ? { fields: rule.fields } : {}),
  ...(rule.conditions ? { conditions: bind(rule.conditions, principal) as object } : {}),
  ...(rule.reason ? { reason: rule.reason } : {}),
});

/**
 * The caller's ability: the union of the rules of every role it holds. A role the
 * policy does not know contributes nothing, so an unknown role grants nothing.
 */
export function buildAbility(policy: Policy, principal: Principal): AppAbility {
  const rules = principal.roles.flatMap((role) => policy.roles.get(role) ?? []);
  return createMongoAbility(rules.map((rule) => toRawRule(rule, principal)));
}

/** Tags a plain record with its resource type so CASL evaluates conditions on it. */
export const subjectOf = <T extends object>(type: string, record: T) => asSubject(type, { ...record });
