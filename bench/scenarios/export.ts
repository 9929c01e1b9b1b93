import { readFileSync } from 'node:fs';
import { createBenchDatabase, seedCustomers } from '../lib/bench-database.js';
import { ROUNDS, SECRET, devToken } from '../lib/compare.js';
import { BASELINE, freePorts, startServer, stopServer } from '../lib/processes.js';

/** The ratio and memory at RATIO_ROWS; memory again at LARGE_ROWS (a streamed export's stays flat). */
const RATIO_ROWS = 50_000;
const LARGE_ROWS = 500_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A process's resident set (VmRSS in /proc/<pid>/status), in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(/(\d+)\s*kB/.exec(line)![1]) / 1024;
}

/**
 * Downloads a CSV export as a stream, counting lines as they arrive (never holding the
 * body), while sampling the server's RSS every 20 ms: rows/s and how far the server's
 * memory rose above where it stood before the request.
 */
async function download(pid: number, url: string, headers: Record<string, string>): Promise<{ rows: number; seconds: number; growthMiB: number }> {
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20);
  const started = performance.now();
  try {
    const res = await fetch(url, { headers });
    if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    let lines = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    }
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, rssMiB(pid));
    return { rows: lines - 1, seconds, growthMiB: peak - before }; // the header line
  } finally {
    clearInterval(sampler);
  }
}

interface Side {
  name: string;
  start(): ReturnType<typeof startServer>;
  port: number;
  /** A small request first, so first-request set-up does not count as the export's memory. */
  warmPath: string;
  exportPath: string;
  headers(run: number): Promise<Record<string, string>>;
}

export interface ExportRun {
  side: string;
  rows: number;
  rowsPerSecond: number;
  growthMiB: number;
  /** Why the export failed (a 503, a cut stream): a result to report, not a bench failure. */
  error?: string;
}

async function exportOnce(side: Side, run: number, expected: number): Promise<ExportRun> {
  const server = await side.start();
  try {
    const headers = await side.headers(run);
    const warm = await fetch(`http://127.0.0.1:${side.port}${side.warmPath}`, { headers });
    if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}`);
    await warm.arrayBuffer();
    const { rows, seconds, growthMiB } = await download(server.pid!, `http://127.0.0.1:${side.port}${side.exportPath}`, headers);
    if (rows !== expected) throw new Error(`export had ${rows} rows, expected ${expected}`);
    process.stderr.write(`  ${side.name} ${rows}: ${Math.round(rows / seconds)} rows/s, RSS growth ${growthMiB.toFixed(1)} MiB\n`);
    return { side: side.name, rows, rowsPerSecond: rows / seconds, growthMiB };
  } catch (err) {
    const error = `${(err as Error).message}${(err as Error).cause ? ` (${String((err as Error).cause)})` : ''}`.slice(0, 200);
    process.stderr.write(`  ${side.name} ${expected}: failed: ${error}\n`);
    return { side: side.name, rows: expected, rowsPerSecond: NaN, growthMiB: NaN, error };
  } finally {
    await stopServer(server);
  }
}

export interface ExportData {
  /** fieldguard's CSV rows/s over the bare pg-cursor CSV stream's, median of the per-round ratios. */
  ratio: number;
  ratioRows: number;
  runs: ExportRun[];
  /** Median RSS growth and rows/s per side and size, over the runs that did not fail; the first failure's reason otherwise. */
  growth: Array<{ side: string; rows: number; growthMiB: number; rowsPerSecond: number; error?: string }>;
}

/**
 * Issues 7 and 16: fieldguard's admin CSV export against a bare pg-cursor CSV stream of
 * the same rows (bench/baseline-server.ts), alternating, each on a freshly started
 * server; at 50,000 rows for ROUNDS rounds (the ratio), then once at 500,000 rows (memory).
 */
export async function exportScenario(): Promise<{ markdown: string; data: ExportData }> {
  const database = await createBenchDatabase();
  const [PORT, BASELINE_PORT] = (await freePorts(2)) as [number, number];
  try {
    const env = { DATABASE_URL: database.url, AUTH_DEV_SECRET: SECRET, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0' };
    await stopServer(await startServer(env, PORT)); // applies the migrations
    const fieldguard: Side = {
      name: 'fieldguard',
      start: () => startServer(env, PORT),
      port: PORT,
      warmPath: '/v1/customers?limit=1',
      exportPath: '/v1/customers/export?format=csv',
      headers: async (run) => ({ authorization: `Bearer ${await devToken(`bench-admin-${run}`, ['admin'])}` }),
    };
    const baseline: Side = {
      name: 'pg-cursor CSV',
      start: () => startServer({ DATABASE_URL: database.url }, BASELINE_PORT, BASELINE),
      port: BASELINE_PORT,
      warmPath: '/customers?limit=1',
      exportPath: '/customers/export.csv',
      headers: async () => ({}),
    };
    const runs: ExportRun[] = [];
    const ratios: number[] = [];
    let run = 0;
    await seedCustomers(database.url, RATIO_ROWS, { returnIds: false });
    for (let round = 0; round < ROUNDS; round++) {
      const [ours, bare] = [await exportOnce(fieldguard, run++, RATIO_ROWS), await exportOnce(baseline, run++, RATIO_ROWS)];
      runs.push(ours, bare);
      if (!ours.error && !bare.error) ratios.push(ours.rowsPerSecond / bare.rowsPerSecond);
    }
    // Memory only, so one run: at this machine's rates an export of 500,000 rows takes a minute.
    await seedCustomers(database.url, LARGE_ROWS - RATIO_ROWS, { returnIds: false });
    runs.push(await exportOnce(fieldguard, run++, LARGE_ROWS));
    const growth = ([[fieldguard, RATIO_ROWS], [baseline, RATIO_ROWS], [fieldguard, LARGE_ROWS]] as const).map(([{ name }, rows]) => {
      const mine = runs.filter((r) => r.side === name && r.rows === rows);
      const ok = mine.filter((r) => !r.error);
      if (!ok.length) return { side: name, rows, growthMiB: NaN, rowsPerSecond: NaN, error: mine[0]!.error! };
      return { side: name, rows, growthMiB: median(ok.map((r) => r.growthMiB)), rowsPerSecond: median(ok.map((r) => r.rowsPerSecond)) };
    });
    const data: ExportData = { ratio: ratios.length ? median(ratios) : NaN, ratioRows: RATIO_ROWS, runs, growth };
    const markdown = [
      `CSV export, streamed download, each on a freshly started server: fieldguard (admin) against a bare pg-cursor CSV stream of the same rows (median of ${ROUNDS} at ${RATIO_ROWS} rows, fieldguard once at ${LARGE_ROWS}); RSS growth: peak of the server's RSS sampled every 20 ms during the export, above its RSS before it`,
      '',
      '| server | rows | rows/s | RSS growth MiB |',
      '|---|---|---|---|',
      ...growth.map((g) => (g.error ? `| ${g.side} | ${g.rows} | failed: ${g.error} | - |` : `| ${g.side} | ${g.rows} | ${Math.round(g.rowsPerSecond)} | ${g.growthMiB.toFixed(1)} |`)),
      '',
      `fieldguard / pg-cursor CSV at ${RATIO_ROWS} rows: ${data.ratio.toFixed(2)} (median of the per-round ratios)`,
    ].join('\n');
    return { markdown, data };
  } finally {
    await database.drop();
  }
}
