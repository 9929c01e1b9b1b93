import { z } from 'zod';
import { formatChange } from '../cli/policy/diff.js';
import { diffCompiled, type PolicyChange } from '../cli/policy/diff-policies.js';
import { recordedReads, type RecordedRead } from '../audit/recorded-reads.repository.js';
import { findVisibleRecords, type RecordValues } from '../data/record.repository.js';
import { AppError } from '../errors.js';
import { canonicalId } from '../ids.js';
import { buildAbility, type AppAbility } from '../policy/ability.js';
import { canSee, decideFields } from '../policy/field-access.js';
import { PolicyError, type Policy } from '../policy/load-policy.js';
import { clockBucket } from '../policy/relative-time.js';
import { claimDependence, decideCandidate, recordedView, type ClaimDependence } from '../policy/replay-decide.js';
import { ReplayTally, type FieldOutcome, type ReplayResult } from '../policy/replay-tally.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { replayLimits, notCompared, type NotCompared } from './policy-replay-limits.js';
import type { RequestContext } from './request-context.js';

/** How far back a replay may look. */
export const REPLAY_MAX_DAYS = 90;

/**
 * The work one replay may do: events and record reads at most, and the events read per
 * batch (their records are loaded a batch at a time). One object, so a test may lower it.
 */
export const REPLAY_BOUNDS = { maxEvents: 50_000, maxReads: 200_000, batch: 500 };

export interface PolicyReplay extends ReplayResult {
  policy: { inForce: string; candidate: string };
  /** What the edit changes for each role on representative records, whatever the trail holds (`npm run policy -- diff`). */
  diff: Array<PolicyChange & { text: string }>;
  window: { days: number; from: string; to: string };
  scanned: { events: number; truncated: boolean; replayedUntil: string | null };
  /** Record reads of list or export events whose recorded outcome for a field was taken from the policy in force. */
  inferred: number;
  notCompared: NotCompared[];
  /** What the replay cannot know, in words. */
  limits: string[];
}

const replayQuery = z.object({ days: z.coerce.number().int().min(1).max(REPLAY_MAX_DAYS).default(7) }).strict();

/**
 * "What would this policy have changed for the people who worked last week?": the reads
 * the trail recorded in the last `days`, decided again under the candidate on the
 * records as they are now, added up per role and field and per person. Needs the right
 * to reload the policy; audited; bounded (days, events, record reads), the trail read in
 * batches.
 */
export async function replayPolicy(ctx: RequestContext, body: unknown, query: unknown): Promise<PolicyReplay> {
  return auditingDenials(ctx, { action: 'replay', resourceType: 'Policy', resourceIds: [] }, async () => {
    assertCan(ctx, 'reload', 'Policy');
    const parsed = replayQuery.safeParse(query ?? {});
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', `days: a whole number of days from 1 to ${REPLAY_MAX_DAYS}.`);
    if (typeof body !== 'string' || body.trim() === '') throw new AppError('VALIDATION_FAILED', 'body: the candidate policy, as YAML.');
    let candidate: Policy;
    try {
      candidate = ctx.policyStore.compileCandidate(body);
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      throw new AppError('POLICY_INVALID', 'The candidate policy is invalid; nothing was replayed.', { problems: err.problems });
    }
    const { days } = parsed.data;
    const to = new Date();
    const from = new Date(to.getTime() - days * 86_400_000);
    const result = await replay(ctx, candidate, from);
    await audit(ctx, {
      action: 'replay',
      resourceType: 'Policy',
      resourceIds: [],
      outcome: 'allowed',
      details: { candidate: candidate.version, days, events: result.scanned.events, reads: result.totals.reads, truncated: result.scanned.truncated },
    });
    const diff = diffCompiled(ctx.policy, candidate).map((c) => ({ ...c, text: formatChange(c) }));
    return { policy: { inForce: ctx.policy.version, candidate: candidate.version }, diff, window: { days, from: from.toISOString(), to: to.toISOString() }, ...result };
  });
}

type Replayed = Omit<PolicyReplay, 'policy' | 'diff' | 'window'>;

async function replay(ctx: RequestContext, candidate: Policy, since: Date): Promise<Replayed> {
  const inForce = ctx.policy;
  const types = [...inForce.model.resources.keys()].filter((t) => candidate.resources.has(t));
  const tally = new ReplayTally();
  const abilities = new AbilityCache();
  let [events, reads, inferred, afterSeq, truncated] = [0, 0, 0, null as string | null, false];
  let replayedUntil: string | null = null;
  for (;;) {
    const batch = await recordedReads(ctx.db, { since, afterSeq, resourceTypes: types, limit: REPLAY_BOUNDS.batch });
    if (batch.length === 0) break;
    const records = await loadRecords(ctx, batch);
    for (const event of batch) {
      if (events >= REPLAY_BOUNDS.maxEvents || reads + event.resourceIds.length > REPLAY_BOUNDS.maxReads) {
        truncated = true;
        break;
      }
      events += 1;
      reads += event.resourceIds.length;
      replayedUntil = event.occurredAt.toISOString();
      inferred += replayEvent(event, { inForce, candidate, records, abilities, tally });
    }
    if (truncated || batch.length < REPLAY_BOUNDS.batch) break;
    afterSeq = batch[batch.length - 1]!.seq;
  }
  return { scanned: { events, truncated, replayedUntil }, ...tally.result(), inferred, notCompared: notCompared(inForce, candidate), limits: replayLimits({ inForce, candidate, tally, inferred, truncated, replayedUntil }) };
}

/** Records by type and canonical id; null when the record is gone. */
type Loaded = Map<string, Map<string, RecordValues | null>>;

/** Loads every record a batch names, then their parents, level by level: a few statements per batch. */
async function loadRecords(ctx: RequestContext, batch: RecordedRead[]): Promise<Loaded> {
  const loaded: Loaded = new Map();
  let wanted = new Map<string, Set<string>>();
  for (const e of batch) for (const id of e.resourceIds) addTo(wanted, e.resourceType, id);
  for (let depth = 0; wanted.size > 0 && depth < 8; depth += 1) {
    const next = new Map<string, Set<string>>();
    for (const [type, ids] of wanted) {
      const r = ctx.policy.model.resources.get(type)!;
      const byId = loaded.get(type) ?? new Map<string, RecordValues | null>();
      loaded.set(type, byId);
      const missing = [...ids].filter((id) => !byId.has(id));
      for (const id of missing) byId.set(id, null);
      for (const record of await findVisibleRecords(ctx.db, r, missing, [])) {
        byId.set(canonicalId(String(record[r.id.name])), record);
        if (r.parent && record[r.parent.field] != null) addTo(next, r.parent.resource, String(record[r.parent.field]));
      }
    }
    wanted = next;
  }
  return loaded;
}

function addTo(map: Map<string, Set<string>>, type: string, id: string) {
  let ids = map.get(type);
  if (!ids) map.set(type, (ids = new Set()));
  ids.add(canonicalId(id));
}

/** Abilities per policy, principal and clock bucket: a batch holds few distinct people. */
class AbilityCache {
  private readonly cache = new Map<string, AppAbility>();
  for(policy: Policy, sub: string, roles: string[], at: Date): AppAbility {
    // Relative times are bound to the minute of the read, as the service bound them then.
    const bucket = policy.usesClock ? clockBucket(at.getTime()) : 0;
    const key = JSON.stringify([policy.version, sub, [...roles].sort(), bucket]);
    let ability = this.cache.get(key);
    if (!ability) {
      if (this.cache.size >= 10_000) this.cache.clear();
      ability = buildAbility(policy, { sub, roles, tokenId: null, claims: {} }, bucket || clockBucket(at.getTime()));
      this.cache.set(key, ability);
    }
    return ability;
  }
}

interface ReplayState {
  inForce: Policy;
  candidate: Policy;
  records: Loaded;
  abilities: AbilityCache;
  tally: ReplayTally;
}

/** Adds each record of one event to the tally; returns how many needed an inferred recorded outcome. */
function replayEvent(event: RecordedRead, s: ReplayState): number {
  const type = event.resourceType;
  const now = s.abilities.for(s.candidate, event.actorSub, event.actorRoles, event.occurredAt);
  const then = s.abilities.for(s.inForce, event.actorSub, event.actorRoles, event.occurredAt);
  const claims = new Map<string, ClaimDependence>();
  const claimsOf = (t: string) => claims.get(t) ?? claims.set(t, claimDependence(s.candidate, event.actorRoles, t)).get(t)!;
  let inferred = 0;
  for (const rawId of event.resourceIds) {
    const id = canonicalId(rawId);
    const record = s.records.get(type)?.get(id) ?? null;
    const inForceFields = record && fieldOutcomes(then, s.inForce, type, record);
    const recorded = recordedView(
      { outcome: event.outcome, clear: event.fieldsClear, masked: event.fieldsMasked, withheld: event.fieldsWithheld },
      (field) => inForceFields?.get(field),
    );
    if (recorded.inferred > 0) inferred += 1;
    const candidate = record && decideCandidate(now, s.candidate, type, record, parentVisible(s, now, type, record, claimsOf), claimsOf(type));
    s.tally.add({ sub: event.actorSub, roles: event.actorRoles, resource: type, id, recorded: recorded.view, candidate });
  }
  return inferred;
}

function fieldOutcomes(ability: AppAbility, policy: Policy, type: string, record: object): Map<string, FieldOutcome> {
  const d = decideFields(ability, policy, type, record);
  return new Map([...d.clear.map((f) => [f, 'clear'] as const), ...d.masked.map((f) => [f, 'masked'] as const), ...d.withheld.map((f) => [f, 'withheld'] as const)]);
}

/** Whether the record's parent chain exists for the principal under the candidate (in memory, as the SQL says). */
function parentVisible(s: ReplayState, ability: AppAbility, type: string, record: RecordValues, claimsOf: (t: string) => ClaimDependence): boolean | 'undecided' {
  let r = s.inForce.model.resources.get(type)!;
  let current = record;
  for (let depth = 0; r.parent && depth < 8; depth += 1) {
    const parentType = r.parent.resource;
    const parent = s.records.get(parentType)?.get(canonicalId(String(current[r.parent.field]))) ?? null;
    if (!parent) return false;
    if (claimsOf(parentType).visibility) return 'undecided';
    if (!canSee(ability, parentType, parent)) return false;
    r = s.inForce.model.resources.get(parentType)!;
    current = parent;
  }
  return true;
}
