import type { ChildProcess } from 'node:child_process';
import { runLoad, stopServer, type LoadBody, type LoadResult } from './processes.js';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP = 2;

/** One thing to load: a server to start fresh for each run and the request to send it. */
export interface Target {
  name: string;
  /** The target whose req/s this one is compared with (itself for a baseline). */
  reference: string;
  start(): Promise<ChildProcess>;
  port: number;
  /** `run` numbers the runs, for a fresh subject per run (read budgets). */
  request(run: number): Promise<{ path: string; headers: Record<string, string>; body?: LoadBody }>;
}

export interface TargetResult {
  target: string;
  reference: string;
  rps: number;
  p50: number;
  p99: number;
  rounds: LoadResult[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A target's throughput relative to its reference: the median of the ratios of the two
 * within each round. Rounds alternate the targets, so the two runs of one round sit
 * minutes apart while the machine's speed drifts over the whole bench; a ratio of
 * medians would mix the reference's fast round with the target's slow one.
 */
export const roundRatio = (target: TargetResult, reference: TargetResult) =>
  median(target.rounds.map((r, i) => r.rps / reference.rounds[i]!.rps));

/** Loads every target once per round, alternating, each on a freshly started server; medians. */
export async function runRounds(targets: Target[]): Promise<TargetResult[]> {
  const results = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  let run = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const { path, headers, body } = await target.request(run++);
      const url = `http://127.0.0.1:${target.port}${path}`;
      const server = await target.start();
      try {
        await probe(target.name, url, headers, body);
        await runLoad(url, headers, WARMUP, 50, body);
        const r = await runLoad(url, headers, SECONDS, 50, body);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${target.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        results.get(target.name)!.push(r);
        process.stderr.write(`  round ${round + 1} ${target.name}: ${Math.round(r.rps)} req/s\n`);
      } finally {
        await stopServer(server);
      }
    }
  }
  return targets.map((t) => {
    const rs = results.get(t.name)!;
    return { target: t.name, reference: t.reference, rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), rounds: rs };
  });
}

/** One request before the load: a 200 with GraphQL errors would otherwise count as a success. */
async function probe(name: string, url: string, headers: Record<string, string>, body?: LoadBody) {
  const res = await fetch(url, { headers, ...(body ?? {}) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${name}: probe answered ${res.status}: ${text.slice(0, 300)}`);
  const parsed = JSON.parse(text) as { errors?: unknown };
  if (parsed.errors) throw new Error(`${name}: probe answered errors: ${JSON.stringify(parsed.errors).slice(0, 300)}`);
}

/** Markdown: req/s, p50, p99, ratio to the matching reference (per round), and p99/p50. */
export function ratioTable(rows: TargetResult[]): string {
  const byName = new Map(rows.map((r) => [r.target, r]));
  return [
    '| scenario | req/s | p50 ms | p99 ms | ratio | vs | p99/p50 |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.target} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${roundRatio(r, byName.get(r.reference)!).toFixed(2)} | ${r.reference} | ${(r.p99 / Math.max(r.p50, 1)).toFixed(1)} |`,
    ),
  ].join('\n');
}
