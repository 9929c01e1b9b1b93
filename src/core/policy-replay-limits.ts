import type { Policy } from '../policy/load-policy.js';
import type { ReplayTally } from '../policy/replay-tally.js';

/** A resource (field null) or field the replay leaves out, because only one policy declares it. */
export interface NotCompared {
  resource: string;
  field: string | null;
  reason: string;
}

/**
 * What the two policies do not share. Records are loaded with the model in force (the
 * tables hold what it describes), so the replay covers the stored resources and fields
 * both policies declare, and lists the rest here rather than guessing.
 */
export function notCompared(inForce: Policy, candidate: Policy): NotCompared[] {
  const out: NotCompared[] = [];
  for (const type of inForce.model.resources.keys()) {
    const [a, b] = [inForce.resources.get(type), candidate.resources.get(type)];
    if (!b) {
      out.push({ resource: type, field: null, reason: 'the candidate does not declare this resource: its reads are not replayed' });
      continue;
    }
    for (const f of a?.fields ?? []) if (!b.fields.includes(f)) out.push({ resource: type, field: f, reason: 'the candidate does not declare this field' });
    for (const f of b.fields) if (!a?.fields.includes(f)) out.push({ resource: type, field: f, reason: 'only the candidate declares this field: no read of it was recorded' });
  }
  for (const type of candidate.model.resources.keys()) {
    if (!inForce.model.resources.has(type)) out.push({ resource: type, field: null, reason: 'only the candidate stores this resource: no read of it was recorded' });
  }
  return out;
}

/** The replay's limits in words, the general ones always, the specific ones when they applied. */
export function replayLimits(s: { inForce: Policy; candidate: Policy; tally: ReplayTally; inferred: number; truncated: boolean; replayedUntil: string | null }): string[] {
  const { totals } = s.tally.result();
  const claims = s.candidate.claimsUsed.filter((c) => c !== 'sub');
  const limits = [
    'Records are decided as they are now, not as they were when they were read: a record edited since (reassigned, made confidential, given another category) is decided on its current values.',
    `Records deleted since cannot be decided: ${totals.recordGone} record read(s) are counted as unknown (record gone).`,
    claims.length > 0
      ? `Conditions on token claims (${claims.join(', ')}) are not known: the trail records a person's sub and roles, not their token's claims. Reads such a condition could decide are counted as undecided (token claims), never as changes: ${totals.undecided} record read(s).`
      : 'The candidate names no token claim; $principal.sub is decided with the sub the trail recorded.',
    `A list or export records the union of its records' field outcomes; where a field was shown differently across its records, each record's recorded outcome is taken from the policy in force on the record as it is now (${s.inferred} record read(s)).`,
    'Only reads are replayed: reads, lists and exports that returned records, and reads refused as not found. Writes, previews, downloads, refusals for other reasons and read budgets are not.',
  ];
  if (s.inForce.usesClock || s.candidate.usesClock) limits.push('Times relative to now (after: -30d) are decided as of each read, to the minute.');
  if (s.truncated) limits.push(`The replay stopped at its cap on work; reads recorded after ${s.replayedUntil ?? 'the start of the window'} were not replayed.`);
  return limits;
}
