import type { Policy } from '../../policy/load-policy.js';
import { clockBucket, isClockPlaceholder, NOW_PREFIX, resolveClock } from '../../policy/relative-time.js';
import { SAMPLE_SUB } from './principal.js';

/**
 * Representative records. The authoring tools cannot look at real data, so they build
 * records from what the policy's conditions talk about: every value a condition names
 * (and "something else"), and for `contains` tests, membership in or out. Evaluating a
 * role on each such record shows every row-dependent rule without knowing the domain.
 */

const PRINCIPAL_SUB = '$principal.sub';
/** Stands for "a value no condition names". */
const OTHER = Symbol('other');

/** One thing a record can vary in: a field's value, or whether an array field holds a value. */
export interface Dimension {
  field: string;
  /**
   * `value`: candidates are values of the field; `member`: candidates are [in, out];
   * `time`: candidates are [inside, outside] a relative-time bound (`member` holds it).
   */
  kind: 'value' | 'member' | 'time';
  candidates: unknown[];
  /** For `member`: the value whose membership is toggled. */
  member?: unknown;
}

export interface Scenario {
  /** Index into each dimension's candidates. */
  picks: number[];
  record: Record<string, unknown>;
}

const showValue = (v: unknown) => (v === PRINCIPAL_SUB ? 'you' : v === null ? 'empty' : typeof v === 'string' ? v : JSON.stringify(v));
const bindValue = (v: unknown) => (v === PRINCIPAL_SUB ? SAMPLE_SUB : v);

/** Collects, per field, every value the rules on `type` compare it with, and how. */
function collectTests(policies: Policy[], type: string, times: Map<string, TimeBound[]>): Map<string, { member: boolean; values: unknown[] }> {
  const byField = new Map<string, { member: boolean; values: unknown[] }>();
  const add = (field: string, values: unknown[], member: boolean) => {
    const entry = byField.get(field) ?? { member: false, values: [] };
    entry.member ||= member;
    for (const v of values) if (!entry.values.some((known) => Object.is(known, v))) entry.values.push(v);
    byField.set(field, entry);
  };
  for (const policy of policies) {
    for (const rules of policy.roles.values()) {
      for (const rule of rules) {
        if (rule.subject !== type || !rule.conditions) continue;
        for (const [field, test] of Object.entries(rule.conditions)) {
          if (field.startsWith('$')) continue;
          const ops = test !== null && typeof test === 'object' && !Array.isArray(test) ? Object.entries(test) : [['$eq', test]];
          for (const [op, value] of ops) {
            if (isClockPlaceholder(value)) {
              const bounds = times.get(field) ?? [];
              if (!bounds.some((b) => b.op === op && b.at === value)) bounds.push({ op: op as TimeBound['op'], at: value });
              times.set(field, bounds);
            } else add(field, Array.isArray(value) ? value : [value], op === '$all');
          }
        }
      }
    }
  }
  return byField;
}

/** A relative-time test: on or after (`$gte`) or before (`$lt`) a `$now...` placeholder. */
interface TimeBound {
  op: '$gte' | '$lt';
  at: string;
}

const HOUR = 3_600_000;
/** An instant an hour inside or outside the bound, as of the current clock bucket. */
function instantFor(bound: TimeBound, inside: boolean): string {
  const at = Date.parse(resolveClock(bound.at, clockBucket()));
  const later = (bound.op === '$gte') === inside;
  return new Date(at + (later ? HOUR : -HOUR)).toISOString();
}

export function dimensionsFor(policies: Policy[], type: string): Dimension[] {
  const dims: Dimension[] = [];
  const times = new Map<string, TimeBound[]>();
  const tests = collectTests(policies, type, times);
  for (const [field, bounds] of times) for (const bound of bounds) dims.push({ field, kind: 'time', candidates: [true, false], member: bound });
  for (const [field, { member, values }] of tests) {
    if (member) {
      for (const v of values) dims.push({ field, kind: 'member', candidates: [true, false], member: v });
      continue;
    }
    const booleansOnly = values.every((v) => typeof v === 'boolean');
    const rest = booleansOnly ? [true, false].filter((b) => !values.includes(b)) : [OTHER];
    dims.push({ field, kind: 'value', candidates: [...values, ...rest] });
  }
  return dims;
}

/** Every combination when there are few; past 64, a baseline plus one change at a time. */
export function scenariosFor(dims: Dimension[], fields: readonly string[]): Scenario[] {
  const total = dims.reduce((n, d) => n * d.candidates.length, 1);
  let picks: number[][];
  if (total <= 64) {
    picks = dims.reduce<number[][]>((acc, d) => acc.flatMap((p) => d.candidates.map((_, i) => [...p, i])), [[]]);
  } else {
    const base = dims.map(() => 0);
    picks = [base, ...dims.flatMap((d, di) => d.candidates.slice(1).map((_, i) => base.map((b, j) => (j === di ? i + 1 : b))))];
  }
  return picks.map((p) => ({ picks: p, record: buildRecord(dims, p, fields) }));
}

function buildRecord(dims: Dimension[], picks: number[], fields: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f, `sample ${f}`]));
  dims.forEach((d, i) => {
    const pick = d.candidates[picks[i]!];
    if (d.kind === 'time') {
      record[d.field] = instantFor(d.member as TimeBound, pick === true);
    } else if (d.kind === 'member') {
      const current = Array.isArray(record[d.field]) ? (record[d.field] as unknown[]) : ['someone else'];
      record[d.field] = pick ? [...current, bindValue(d.member)] : current;
    } else {
      record[d.field] = pick === OTHER ? `other ${d.field}` : bindValue(pick);
    }
  });
  return record;
}

/** A statement about a record ("privacyLevel is not confidential") and which scenarios it holds for. */
export interface Fact {
  dim: number;
  text: string;
  holds: (s: Scenario) => boolean;
}

export function factsFor(dims: Dimension[]): Fact[] {
  return dims.flatMap((d, dim) => {
    if (d.kind === 'time') {
      const bound = d.member as TimeBound;
      const at = bound.at.slice(1) || NOW_PREFIX.slice(1);
      const [inside, outside] = bound.op === '$gte' ? ['on or after', 'before'] : ['before', 'on or after'];
      return [
        { dim, text: `${d.field} ${inside} ${at}`, holds: (s: Scenario) => s.picks[dim] === 0 },
        { dim, text: `${d.field} ${outside} ${at}`, holds: (s: Scenario) => s.picks[dim] === 1 },
      ];
    }
    if (d.kind === 'member') {
      const m = showValue(d.member);
      return [
        { dim, text: `${d.field} contains ${m}`, holds: (s: Scenario) => s.picks[dim] === 0 },
        { dim, text: `${d.field} does not contain ${m}`, holds: (s: Scenario) => s.picks[dim] === 1 },
      ];
    }
    const named = d.candidates.filter((c) => c !== OTHER);
    const is = (c: unknown) => (c === OTHER ? `${d.field} is ${named.length === 1 ? 'not' : 'none of'} ${named.map(showValue).join(', ')}` : `${d.field} is ${showValue(c)}`);
    const facts = d.candidates.map((c, i) => ({ dim, text: is(c), holds: (s: Scenario) => s.picks[dim] === i }));
    // With three or more candidates "is not X" says something no single "is" fact does.
    if (d.candidates.length > 2) {
      named.forEach((c) => {
        const i = d.candidates.indexOf(c);
        facts.push({ dim, text: `${d.field} is not ${showValue(c)}`, holds: (s: Scenario) => s.picks[dim] !== i });
      });
    }
    return facts;
  });
}
