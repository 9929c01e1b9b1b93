import type { Fact, Scenario } from './scenarios.js';

/**
 * Says in words which of the representative records a set is, e.g. "privacyLevel is not
 * confidential, or assignees contains you". A greedy cover by the shortest conjunctions
 * of facts that stay inside the set; exact over the scenarios, and short for the
 * handful of conditions a real policy has.
 *
 * Returns null when the set is the whole universe (no qualifier needed) and [] when empty.
 */
export function describeSet(set: readonly Scenario[], universe: readonly Scenario[], facts: readonly Fact[]): string[] | null {
  if (set.length === 0) return [];
  if (set.length === universe.length) return null;
  const inSet = new Set(set);
  const uncovered = new Set(set);
  const terms: string[] = [];
  const maxDims = new Set(facts.map((f) => f.dim)).size;
  for (let size = 1; size <= maxDims && uncovered.size > 0; size++) {
    const candidates = conjunctions(facts, size)
      .map((term) => ({ term, matches: universe.filter((s) => term.every((f) => f.holds(s))) }))
      .filter(({ matches }) => matches.length > 0 && matches.every((s) => inSet.has(s)));
    for (;;) {
      let best: (typeof candidates)[number] | undefined;
      let bestGain = 0;
      for (const c of candidates) {
        const gain = c.matches.filter((s) => uncovered.has(s)).length;
        if (gain > bestGain) [best, bestGain] = [c, gain];
      }
      if (!best) break;
      best.matches.forEach((s) => uncovered.delete(s));
      terms.push(best.term.map((f) => f.text).join(' and '));
    }
  }
  return terms;
}

/** Conjunctions of `size` facts about distinct dimensions. */
function conjunctions(facts: readonly Fact[], size: number, from = 0, dims: number[] = []): Fact[][] {
  if (size === 0) return [[]];
  const out: Fact[][] = [];
  for (let i = from; i < facts.length; i++) {
    const fact = facts[i]!;
    if (dims.includes(fact.dim)) continue;
    for (const rest of conjunctions(facts, size - 1, i + 1, [...dims, fact.dim])) out.push([fact, ...rest]);
  }
  return out;
}

/** "records where A, or B"; "all records" / "no records" at the ends. */
export function recordsPhrase(terms: string[] | null): string {
  if (terms === null) return 'all records';
  if (terms.length === 0) return 'no records';
  return `records where ${terms.join(', or ')}`;
}
