import { describeSet, recordsPhrase } from '../cli/policy/describe-set.js';
import { principalFor, SAMPLE_SUB } from '../cli/policy/principal.js';
import { dimensionsFor, factsFor, scenariosFor } from '../cli/policy/scenarios.js';
import { buildAbility, type AppAbility } from './ability.js';
import { canSee, decideFields } from './field-access.js';
import type { Policy } from './load-policy.js';

export type Grant = 'clear' | 'masked' | 'none';

/** What a set of roles grants on one field: the most it shows on some record, and whether only on some. */
export interface FieldGrantView {
  grant: Grant;
  /** The grant holds on some of the records the roles see, not all (a row-dependent rule). */
  conditional: boolean;
  /** Every state in words, least revealing first: `masked (digits); clear on records where assignees contains you`. */
  text: string;
  /** The states it takes on the records the roles see (for narrowing: which grants exist). */
  states: Array<'clear' | 'masked' | 'withheld'>;
}

const RANK = { withheld: 0, masked: 1, clear: 2 } as const;

/**
 * A principal for the authoring tools' representative records whose token claims stand
 * for themselves: `specialty: $principal.specialty` then holds on the records built
 * with that very value, so a grant on "your specialty" reads as conditional, not absent.
 */
export function reviewAbility(policy: Policy, roles: readonly string[]): AppAbility {
  const claims = Object.fromEntries(policy.claimsUsed.filter((c) => c !== 'sub').map((c) => [c, `$principal.${c}`]));
  return buildAbility(policy, principalFor(SAMPLE_SUB, [...roles], claims));
}

const cache = new WeakMap<Policy, Map<string, Record<string, FieldGrantView>>>();

/**
 * Per field of `type`, what `roles` (held together) grant, decided by the engine on the
 * representative records the policy's own conditions describe (as `policy check` does).
 * Cached per policy and role set: a review asks the same few sets for every person.
 */
export function grantsFor(policy: Policy, roles: readonly string[], type: string): Record<string, FieldGrantView> {
  let byKey = cache.get(policy);
  if (!byKey) cache.set(policy, (byKey = new Map()));
  const key = JSON.stringify([[...new Set(roles)].sort(), type]);
  let grants = byKey.get(key);
  if (!grants) byKey.set(key, (grants = computeGrants(policy, roles, type)));
  return grants;
}

function computeGrants(policy: Policy, roles: readonly string[], type: string): Record<string, FieldGrantView> {
  const fields = [...(policy.resources.get(type)?.fields ?? [])];
  const dims = dimensionsFor([policy], type);
  const facts = factsFor(dims);
  const scenarios = scenariosFor(dims, fields);
  const ability = reviewAbility(policy, roles);
  const visible = scenarios.filter((s) => canSee(ability, type, s.record));
  const decisions = visible.map((s) => decideFields(ability, policy, type, s.record));
  const masks = policy.resources.get(type)?.masks;
  const out: Record<string, FieldGrantView> = {};
  for (const field of fields) {
    const each = decisions.map((d) => (d.clear.includes(field) ? 'clear' : d.masked.includes(field) ? 'masked' : 'withheld'));
    const states = [...new Set(each)].sort((a, b) => RANK[a] - RANK[b]);
    const best = states.at(-1) ?? 'withheld';
    const words = (state: string) => (state === 'masked' ? `masked (${masks?.get(field)?.name ?? 'mask'})` : state);
    const text = states.length === 0
      ? 'withheld (no record visible)'
      : states
          .map((state, i) => (i === 0 ? words(state) : `${words(state)} on ${recordsPhrase(describeSet(visible.filter((_, j) => each[j] === state), visible, facts))}`))
          .join('; ')
          .replace(/\$principal\.([A-Za-z0-9_]+)/g, 'your $1');
    out[field] = { grant: best === 'withheld' ? 'none' : best, conditional: states.length > 1, text, states };
  }
  return out;
}
