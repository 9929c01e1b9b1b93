import type { ExportData } from '../scenarios/export.js';
import type { DocumentResult } from '../scenarios/documents.js';
import { TARGETS } from '../scenarios/vs-baseline.js';
import { roundRatio, type TargetResult } from './rounds.js';

/** What the scenarios of this run returned as data, by scenario name. */
export type RunData = Record<string, unknown>;

interface Row {
  target: string;
  measured: string;
  /** 'met', 'not met', 'reported', or 'not run: why'. */
  verdict: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const notRun = (target: string, scenario: string): Row => ({ target, measured: '-', verdict: `not run: scenario \`${scenario}\` not selected` });
const judged = (target: string, value: number, met: boolean, text = value.toFixed(2)): Row => ({ target, measured: text, verdict: met ? 'met' : 'not met' });

function loadRows(rows: TargetResult[] | undefined): Row[] {
  const t = TARGETS;
  const goals: Array<[string, string, string, number]> = [
    ['REST single masked read >= 0.70 of the baseline', t.restRead, t.baselineRead, 0.7],
    ['GraphQL single >= 0.65 of the baseline', t.graphqlRead, t.baselineRead, 0.65],
    ['GraphQL single >= 1.3x PostGraphile 5', t.graphqlRead, t.postgraphileRead, 1.3],
    ['REST list of 50 >= 0.75 of the bare list', t.restList, t.baselineList, 0.75],
    ['GraphQL list of 50 >= 0.75 of the bare list', t.graphqlList, t.baselineList, 0.75],
    ['GraphQL list of 50 + bookings >= 0.60 of the bare server doing the same queries', t.graphqlNested, t.baselineNested, 0.6],
  ];
  const p99Goal = 'p99 <= 2.5x p50 in every fieldguard scenario';
  if (!rows) return [...goals.map(([goal]) => notRun(goal, 'vs-baseline')), notRun(p99Goal, 'vs-baseline')];
  const byName = new Map(rows.map((r) => [r.target, r]));
  const ratios = goals.map(([goal, target, reference, min]): Row => {
    const [a, b] = [byName.get(target), byName.get(reference)];
    if (!a || !b) return { target: goal, measured: '-', verdict: `not run: no result for ${a ? reference : target}` };
    return judged(goal, roundRatio(a, b), roundRatio(a, b) >= min);
  });
  const ours = rows.filter((r) => Object.values(TARGETS).includes(r.target as never) && !/^baseline|^PostGraphile/.test(r.target));
  const spread = ours.map((r) => ({ name: r.target, value: r.p99 / Math.max(r.p50, 1) })).sort((a, b) => b.value - a.value);
  const worst = spread[0]!;
  return [...ratios, judged(p99Goal, worst.value, worst.value <= 2.5, `${worst.value.toFixed(1)} at worst (${worst.name})`)];
}

function exportRows(data: ExportData | undefined): Row[] {
  const ratioGoal = 'export >= 0.5x a bare pg-cursor CSV stream of the same rows';
  const sizes = [50_000, 500_000];
  const memoryGoal = (rows: number) => `export memory growth < 20 MiB at ${rows.toLocaleString('en')} rows`;
  if (!data) return [notRun(ratioGoal, 'export'), ...sizes.map((n) => notRun(memoryGoal(n), 'export'))];
  const failed = (target: string, error: string): Row => ({ target, measured: `failed: ${error}`, verdict: 'not met' });
  const growthOf = (side: string, n: number) => data.growth.find((x) => x.side === side && x.rows === n);
  return [
    Number.isNaN(data.ratio)
      ? failed(ratioGoal, 'no round where both exports completed')
      : judged(ratioGoal, data.ratio, data.ratio >= 0.5, `${data.ratio.toFixed(2)} at ${data.ratioRows.toLocaleString('en')} rows`),
    ...sizes.map((n) => {
      const [g, bare] = [growthOf('fieldguard', n), growthOf('pg-cursor CSV', n)];
      if (!g) return { target: memoryGoal(n), measured: '-', verdict: 'not run: no result at this size' };
      if (g.error) return failed(memoryGoal(n), g.error);
      const context = bare && !bare.error ? ` (bare pg-cursor CSV: ${bare.growthMiB.toFixed(1)} MiB)` : '';
      return judged(memoryGoal(n), g.growthMiB, g.growthMiB < 20, `${g.growthMiB.toFixed(1)} MiB${context}`);
    }),
  ];
}

function documentRows(data: DocumentResult[] | undefined): Row[] {
  const up = 'upload >= 20 MB/s for a 50 MiB document';
  const down = 'download at least as fast as upload (50 MiB)';
  const big = data?.find((d) => d.sizeMiB === 50);
  if (!big) return [notRun(up, 'documents'), notRun(down, 'documents')];
  return [
    judged(up, big.uploadMBs, big.uploadMBs >= 20, `${big.uploadMBs.toFixed(1)} MB/s`),
    judged(down, big.downloadMBs, big.downloadMBs >= big.uploadMBs, `${big.downloadMBs.toFixed(1)} MB/s`),
  ];
}

/** The audit-append scenario's 4-writer variants, read from its data (variant name -> runs with `rows` per second). */
function auditRow(data: unknown): Row {
  const target = 'audit chain append rate, 4 concurrent writers (no target; ceiling: docs/scaling.md#the-single-chains-append-ceiling)';
  if (!data) return notRun(target, 'audit-append');
  const variants = Object.entries(data as Record<string, Array<{ rows?: number }>>)
    .filter(([name, runs]) => /\b4 writers\b/.test(name) && Array.isArray(runs) && runs.every((r) => typeof r.rows === 'number'))
    .map(([name, runs]) => `${name}: ${Math.round(median(runs.map((r) => r.rows!)))} appends/s`);
  return { target, measured: variants.length ? variants.join('; ') : 'see the audit-append table above', verdict: 'reported' };
}

/** The issue 16 targets, one row each: the goal, this run's figure, met or not. */
export function targetsTable(data: RunData): string {
  const rows = [
    ...loadRows(data['vs-baseline'] as TargetResult[] | undefined),
    ...exportRows(data.export as ExportData | undefined),
    ...documentRows(data.documents as DocumentResult[] | undefined),
    auditRow(data['audit-append']),
  ];
  return ['| target | measured | |', '|---|---|---|', ...rows.map((r) => `| ${r.target} | ${r.measured} | ${r.verdict} |`)].join('\n');
}
