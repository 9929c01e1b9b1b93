import { createMongoAbility, subject as asSubject, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/principal.js';
import type { Policy, RuleTemplate } from './load-policy.js';
import { clockBucket, isClockPlaceholder, resolveClock } from './relative-time.js';

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

/**
 * Replaces `$principal.*` and `$now...` placeholders with the caller's values. In a list
 * (`in`, `nin`, `contains`) an array claim is spread into the list; where one value is
 * expected (`eq`, `ne`) an array claim counts as missing, so the rule fails closed
 * rather than meaning different things in SQL and in memory.
 */
function bind(value: unknown, binding: Binding, missing: { found: boolean }): unknown {
  if (isClockPlaceholder(value)) return resolveClock(value, binding.nowMs);
  const principal = binding.principal;
  if (typeof value === 'string' && value.startsWith('$principal.')) {
    const bound = valueOf(value, principal);
    if (bound === MISSING || Array.isArray(bound)) missing.found = true;
    return bound === MISSING || Array.isArray(bound) ? null : bound;
  }
  if (Array.isArray(value)) {
    return value.flatMap((v) => {
      if (typeof v !== 'string' || !v.startsWith('$principal.')) return [bind(v, binding, missing)];
      const bound = valueOf(v, principal);
      if (bound === MISSING) missing.found = true;
      return bound === MISSING ? [] : Array.isArray(bound) ? bound : [bound];
    });
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bind(v, binding, missing)]));
  }
  return value;
}

/**
 * A rule bound to one caller. When the caller's token lacks a claim the rule names,
 * the rule fails closed: a `can` grants nothing, a `cannot` denies unconditionally.
 */
function toRawRule(rule: RuleTemplate, binding: Binding): RawRuleOf<MongoAbility> | null {
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
  } as RawRuleOf<MongoAbility>;
}

/**
 * The caller's ability: one CASL ability per role it holds, and a grant from any of
 * them is a grant. Each role's own `cannot` rules restrict only that role (and the
 * roles inheriting it, which may lift them), so adding a role never removes a right,
 * whatever the order of roles in the token (a parent held next to its child keeps its
 * own grants even where the child restricts them). A role the policy does not know
 * grants nothing.
 */
export class AppAbility {
  constructor(readonly parts: readonly MongoAbility[]) {}

  can(action: string, target: Parameters<MongoAbility['can']>[1], field?: string): boolean {
    return this.parts.some((part) => part.can(action, target, field));
  }

  /** The rule that grants, from the first role that grants; else the first denying rule (its reason). */
  relevantRuleFor(action: string, target: Parameters<MongoAbility['can']>[1], field?: string) {
    let denying: ReturnType<MongoAbility['relevantRuleFor']> = null;
    for (const part of this.parts) {
      const rule = part.relevantRuleFor(action, target, field);
      if (rule && !rule.inverted) return rule;
      denying ??= rule;
    }
    return denying;
  }
}

export function buildAbility(policy: Policy, principal: Principal, nowMs = clockBucket()): AppAbility {
  const known = [...new Set(principal.roles)].filter((role) => policy.roles.has(role)).sort();
  const binding = { principal, nowMs };
  return new AppAbility(
    known.map((role) => createMongoAbility(policy.roles.get(role)!.map((rule) => toRawRule(rule, binding)).filter((r) => r !== null))),
  );
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
    const used = policy.claimsUsed.map((claim) =>
      claim === 'sub' ? principal.sub : Object.hasOwn(principal.claims, claim) ? principal.claims[claim] : null,
    );
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
