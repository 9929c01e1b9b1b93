import { createMongoAbility, subject as asSubject, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/principal.js';
import type { Policy, RuleTemplate } from './load-policy.js';
import { clockBucket, isClockPlaceholder, resolveClock } from './relative-time.js';

export type AppAbility = MongoAbility;

const MISSING = Symbol('missing claim');

/** The principal's value for a placeholder, or MISSING when the token lacks the claim. */
function valueOf(placeholder: string, principal: Principal): unknown {
  const name = placeholder.slice('$principal.'.length);
  if (name === 'sub') return principal.sub;
  return Object.hasOwn(principal.claims, name) ? principal.claims[name] : MISSING;
}

/** Who the rules are bound for, and the (bucketed) instant relative times count from. */
interface Binding {
  principal: Principal;
  nowMs: number;
}

/** Replaces `$principal.*` and `$now...` placeholders; reports a missing claim. */
function bind(value: unknown, binding: Binding, missing: { found: boolean }): unknown {
  if (isClockPlaceholder(value)) return resolveClock(value, binding.nowMs);
  const principal = binding.principal;
  if (typeof value === 'string' && value.startsWith('$principal.')) {
    const bound = valueOf(value, principal);
    if (bound === MISSING) missing.found = true;
    return bound === MISSING ? null : bound;
  }
  if (Array.isArray(value)) return value.map((v) => bind(v, binding, missing));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bind(v, binding, missing)]));
  }
  return value;
}

/**
 * A rule bound to one caller. When the caller's token lacks a claim the rule names,
 * the rule fails closed: a `can` grants nothing, a `cannot` denies unconditionally.
 */
function toRawRule(rule: RuleTemplate, binding: Binding): RawRuleOf<AppAbility> | null {
  const missing = { found: false };
  const conditions = rule.conditions ? (bind(rule.conditions, binding, missing) as object) : undefined;
  if (missing.found && !rule.inverted) return null;
  return {
    action: rule.action,
    subject: rule.subject,
    inverted: rule.inverted,
    ...(rule.fields ? { fields: rule.fields } : {}),
    ...(conditions && !missing.found ? { conditions } : {}),
    ...(rule.reason ? { reason: rule.reason } : {}),
    // Carried into CASL's rule origin so previews can say which rule decided.
    source: rule.source,
  } as RawRuleOf<AppAbility>;
}

/**
 * The caller's ability: the union of the rules of every role it holds. A role the
 * policy does not know contributes nothing, so an unknown role grants nothing.
 */
export function buildAbility(policy: Policy, principal: Principal, nowMs = clockBucket()): AppAbility {
  const rules = principal.roles.flatMap((role) => policy.roles.get(role) ?? []);
  const binding = { principal, nowMs };
  return createMongoAbility(rules.map((rule) => toRawRule(rule, binding)).filter((r) => r !== null));
}

/**
 * Abilities are pure functions of (policy version, roles, the principal values the
 * policy's conditions name and, when it names relative times, the clock bucket), so they
 * are built once per such key and reused. The bucket keeps a cached ability from
 * freezing "now": a window like "the last 30 days" moves on within a minute.
 */
export function createAbilityCache(max = 5000) {
  const cache = new LRUCache<string, AppAbility>({ max });
  return (policy: Policy, principal: Principal): AppAbility => {
    const used = policy.claimsUsed.map((claim) => (claim === 'sub' ? principal.sub : (principal.claims[claim] ?? null)));
    const bucket = policy.usesClock ? clockBucket() : 0;
    const key = JSON.stringify([policy.version, [...principal.roles].sort(), used, bucket]);
    let ability = cache.get(key);
    if (!ability) {
      ability = buildAbility(policy, principal, bucket || clockBucket());
      cache.set(key, ability);
    }
    return ability;
  };
}

/** Tags a plain record with its resource type so CASL evaluates conditions on it. */
export const subjectOf = <T extends object>(type: string, record: T) => asSubject(type, { ...record });
