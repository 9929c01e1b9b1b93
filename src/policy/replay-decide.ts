import type { AppAbility } from './ability.js';
import { canSee, decideFields } from './field-access.js';
import type { Policy } from './load-policy.js';
import type { CandidateView, FieldOutcome, RecordedView } from './replay-tally.js';

/**
 * Deciding a recorded read again: what the trail recorded for one record of an event,
 * and what a candidate policy decides on that record as it is now.
 */

const READS = new Set(['read', 'read_masked']);

/** A `$principal.<claim>` other than `sub` anywhere in a rule's conditions. */
function namesClaim(value: unknown): boolean {
  if (typeof value === 'string') return value.startsWith('$principal.') && value !== '$principal.sub';
  if (Array.isArray(value)) return value.some(namesClaim);
  if (value !== null && typeof value === 'object') return Object.values(value).some(namesClaim);
  return false;
}

/**
 * Where token claims could decide a read of `type` for these roles under `policy`: the
 * trail records a person's sub and roles, never their token's claims. `visibility` when
 * any read rule of the type names a claim (any read rule can make a record visible);
 * `fields` those such rules cover ('all' for a rule without a field list).
 */
export interface ClaimDependence {
  visibility: boolean;
  fields: ReadonlySet<string> | 'all';
}

export function claimDependence(policy: Policy, roles: readonly string[], type: string): ClaimDependence {
  let fields: Set<string> | 'all' = new Set();
  for (const role of roles) {
    for (const rule of policy.roles.get(role) ?? []) {
      if (rule.subject !== type || !READS.has(rule.action) || !namesClaim(rule.conditions)) continue;
      if (!rule.fields) fields = 'all';
      else if (fields !== 'all') for (const f of rule.fields) fields.add(f);
    }
  }
  return { visibility: fields === 'all' || fields.size > 0, fields };
}

/**
 * The candidate's view of one record. `parentVisible`: whether the record's parent (and
 * its parents) exist for the principal under the candidate; true for a resource without one.
 */
export function decideCandidate(
  ability: AppAbility,
  policy: Policy,
  type: string,
  record: Record<string, unknown>,
  parentVisible: boolean | 'undecided',
  claims: ClaimDependence,
): CandidateView {
  const decision = decideFields(ability, policy, type, record);
  const fields: Record<string, FieldOutcome | 'undecided'> = {};
  for (const f of decision.clear) fields[f] = 'clear';
  for (const f of decision.masked) fields[f] = 'masked';
  for (const f of decision.withheld) fields[f] = 'withheld';
  if (claims.fields === 'all') for (const f of Object.keys(fields)) fields[f] = 'undecided';
  else for (const f of claims.fields) if (f in fields) fields[f] = 'undecided';
  if (claims.visibility) return { visible: 'undecided', fields };
  const own = canSee(ability, type, record);
  return { visible: own ? parentVisible : false, fields };
}

/** What an event recorded for its fields: the lists it keeps, and whether it named several records. */
export interface RecordedFields {
  outcome: 'allowed' | 'denied';
  clear: readonly string[];
  masked: readonly string[];
  withheld: readonly string[];
}

const OPENNESS: FieldOutcome[] = ['clear', 'masked', 'withheld'];

/**
 * What the trail recorded for one record of an event. An event naming one record is
 * exact. A list or export records the union over its records, so a field may be named
 * in several lists: then `inPolicyInForce` (the running policy's decision on the record
 * as it is now) picks among the recorded outcomes, or else the most open one is taken;
 * `inferred` says how many fields needed that.
 */
export function recordedView(event: RecordedFields, inPolicyInForce: (field: string) => FieldOutcome | undefined): { view: RecordedView; inferred: number } {
  if (event.outcome === 'denied') return { view: { visible: false }, inferred: 0 };
  const lists: Record<FieldOutcome, readonly string[]> = { clear: event.clear, masked: event.masked, withheld: event.withheld };
  const fields: Record<string, FieldOutcome> = {};
  let inferred = 0;
  for (const field of new Set([...event.clear, ...event.masked, ...event.withheld])) {
    const shown = OPENNESS.filter((o) => lists[o].includes(field));
    if (shown.length === 1) {
      fields[field] = shown[0]!;
      continue;
    }
    inferred += 1;
    const guess = inPolicyInForce(field);
    fields[field] = guess !== undefined && shown.includes(guess) ? guess : shown[0]!;
  }
  return { view: { visible: true, fields }, inferred };
}
