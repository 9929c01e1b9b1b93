import { readFileSync } from 'node:fs';
import { createBenchDatabase, seedCustomers } from '../lib/bench-database.js';
import { ROUNDS, SECRET, devToken } from '../lib/compare.js';
import { startServer, stopServer } from '../lib/processes.js';
import type { ScenarioResult } from '../run.js';

const PORT = 18_181;
/** Two sizes: a streamed export's memory stays the same when the export grows fivefold. */
const SIZES = [10_000, 50_000];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A process's memory figure from /proc (VmHWM: peak resident set; VmRSS: current), in MiB. */
function memoryMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`no ${field} for process ${pid}`);
  return Number(/(\d+)\s*kB/.exec(line)![1]) / 1024;
}

/** Downloads the export as a stream, counting lines as they arrive; never holds the body. */
async function download(url: string, token: string): Promise<{ lines: number; seconds: number }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  let lines = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  return { lines, seconds: (performance.now() - started) / 1000 };
}

interface ExportRow {
  format: string;
  rows: number;
  rowsPerSecond: number;
  idleMiB: number;
  peakMiB: number;
}

/** Issue 7: admin export of 10,000 and of 50,000 customers, CSV and NDJSON: rows/s and the server's peak RSS. */
export async function exportScenario(): Promise<ScenarioResult> {
  const database = await createBenchDatabase();
  try {
    const env = { DATABASE_URL: database.url, AUTH_DEV_SECRET: SECRET, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0' };
    await stopServer(await startServer(env, PORT)); // applies the migrations
    const data: ExportRow[] = [];
    let seeded = 0;
    let run = 0;
    for (const size of SIZES) {
      await seedCustomers(database.url, size - seeded);
      seeded = size;
      const runs = new Map<string, Omit<ExportRow, 'format'>[]>([['csv', []], ['ndjson', []]]);
      for (let round = 0; round < ROUNDS; round++) {
        for (const format of ['csv', 'ndjson'] as const) {
          const server = await startServer(env, PORT);
          try {
            const pid = server.pid!;
            const idleMiB = memoryMiB(pid, 'VmHWM');
            const { lines, seconds } = await download(`http://127.0.0.1:${PORT}/v1/customers/export?format=${format}`, await devToken(`bench-admin-${run++}`, ['admin']));
            const rows = format === 'csv' ? lines - 1 : lines; // CSV has a header line
            if (rows !== size) throw new Error(`${format} export had ${rows} rows, expected ${size}`);
            const peakMiB = memoryMiB(pid, 'VmHWM');
            runs.get(format)!.push({ rowsPerSecond: rows / seconds, rows, idleMiB, peakMiB });
            process.stderr.write(`  round ${round + 1} ${format} ${size}: ${Math.round(rows / seconds)} rows/s, peak ${peakMiB.toFixed(0)} MiB (idle ${idleMiB.toFixed(0)})\n`);
          } finally {
            await stopServer(server);
          }
        }
      }
      for (const [format, rs] of runs) {
        data.push({
          format,
          rows: size,
          rowsPerSecond: median(rs.map((r) => r.rowsPerSecond)),
          idleMiB: median(rs.map((r) => r.idleMiB)),
          peakMiB: median(rs.map((r) => r.peakMiB)),
        });
      }
    }
    const markdown = [
      `Admin export, streamed download, each on a freshly started server (median of ${ROUNDS}; server RSS from /proc VmHWM)`,
      '',
      '| format | rows | rows/s | peak RSS MiB | RSS before export MiB | growth MiB |',
      '|---|---|---|---|---|---|',
      ...data.map((d) => `| ${d.format} | ${d.rows} | ${Math.round(d.rowsPerSecond)} | ${d.peakMiB.toFixed(0)} | ${d.idleMiB.toFixed(0)} | ${(d.peakMiB - d.idleMiB).toFixed(0)} |`),
    ].join('\n');
    return { markdown, data };
  } finally {
    await database.drop();
  }
}
