import { mkdirSync, writeFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { projectFile } from '../src/paths.js';
import { createBenchDatabase, seedCustomers } from './lib/bench-database.js';
import { runLoad, startServer, stopServer, type LoadResult } from './lib/processes.js';

/**
 * Audit group commit on and off: REST single masked read (agent), 50 connections,
 * alternating rounds so drift on a shared machine hits both variants alike. Prints
 * medians and the ratio of batched to unbatched throughput. Exits non-zero only when
 * it could not run.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP = 2;
const PORT = 18_181;
const SECRET = 'bench-secret-0123456789abcdef0123456789';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const database = await createBenchDatabase();
  try {
    const env = { DATABASE_URL: database.url, AUTH_DEV_SECRET: SECRET, DEMO_DATA: 'false' };
    // First start applies the migrations; then seed.
    await stopServer(await startServer(env, PORT));
    const ids = await seedCustomers(database.url, 10_000);
    const token = await new SignJWT({ roles: ['agent'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench-agent').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    const url = `http://127.0.0.1:${PORT}/v1/customers/${ids[Math.floor(ids.length / 2)]}`;
    const headers = { authorization: `Bearer ${token}` };
    const results: Record<string, LoadResult[]> = { 'group commit': [], 'one transaction per row': [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [variant, groupCommit] of [['group commit', 'true'], ['one transaction per row', 'false']] as const) {
        const server = await startServer({ ...env, AUDIT_GROUP_COMMIT: groupCommit }, PORT);
        await runLoad(url, headers, WARMUP);
        const r = await runLoad(url, headers, SECONDS);
        await stopServer(server);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${variant}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        results[variant]!.push(r);
        process.stderr.write(`round ${round + 1} ${variant}: ${Math.round(r.rps)} req/s\n`);
      }
    }
    const rows = Object.entries(results).map(([variant, rs]) => ({
      variant,
      rps: median(rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
    }));
    const unbatched = rows.find((r) => r.variant === 'one transaction per row')!.rps;
    const table = [
      '| audit write | req/s | p50 ms | p99 ms | vs one transaction per row |',
      '|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.variant} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / unbatched).toFixed(2)} |`),
    ].join('\n');
    process.stdout.write(`\nREST single masked read (agent, HS256), 50 connections, median of ${ROUNDS} rounds x ${SECONDS}s\n\n${table}\n`);
    mkdirSync(projectFile('bench', 'results'), { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    writeFileSync(projectFile('bench', 'results', `audit-batching-${stamp}.json`), JSON.stringify({ rows, results }, null, 2));
    writeFileSync(projectFile('bench', 'results', `audit-batching-${stamp}.md`), `${table}\n`);
  } finally {
    await database.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench could not run: ${(err as Error).message}\n`);
  process.exit(1);
});
