import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { projectFile } from '../src/paths.js';
import { summariseProfile } from './lib/cpu-profile.js';
import { createBenchDatabase, seedBookings, seedCustomers } from './lib/bench-database.js';
import { startLocalJwks } from './lib/jwks.js';
import { BASELINE, freePorts, runLoad, SERVICE, startServer, stopServer } from './lib/processes.js';

/**
 * `npm run bench:profile -- <scenario>`: one vs-baseline scenario under load (50
 * connections, SECONDS seconds) against the compiled service (`npm run bench:profile`
 * builds it first; function names and line numbers as written) started with --cpu-prof.
 * Prints req/s, the CPU the service and PostgreSQL spent per request, and where the
 * service's time went; keeps the .cpuprofile under bench/results/ for a flame graph
 * (Chrome DevTools > Performance > Load profile, or speedscope).
 */
const SCENARIOS: Record<string, { role: string; path: (id: string) => string; query?: string; baseline?: boolean }> = {
  'agent-read': { role: 'agent', path: (id) => `/v1/customers/${id}` },
  'admin-read': { role: 'admin', path: (id) => `/v1/customers/${id}` },
  'graphql-read': { role: 'agent', path: () => '/graphql', query: 'query One($id: ID!) { customer(id: $id) { id fullName email phone iban access { masked withheld } } }' },
  'agent-list': { role: 'agent', path: () => '/v1/customers?limit=50' },
  'graphql-list': { role: 'agent', path: () => '/graphql', query: 'query { customers(first: 50) { nodes { id fullName phone bookings(first: 5) { nodes { id startsAt } } } } }' },
  'baseline-read': { role: 'none', path: (id) => `/customers/${id}`, baseline: true },
  'baseline-list': { role: 'none', path: () => '/customers?limit=50', baseline: true },
  'admin-export': { role: 'admin', path: () => '/v1/customers/export?format=csv' },
};
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/** user+system CPU ticks (1/100 s) of a process, 0 once it is gone. */
function ticks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

const postgresPids = () =>
  readdirSync('/proc')
    .filter((d) => /^[0-9]+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('postgres');
      } catch {
        return false;
      }
    })
    .map(Number);

async function main() {
  const name = process.argv[2] ?? 'agent-read';
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const [PORT] = (await freePorts(1)) as [number];
  const outDir = projectFile('bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const database = await createBenchDatabase();
  const jwks = await startLocalJwks();
  try {
    const env = { DATABASE_URL: database.url, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0', ...jwks.env };
    await stopServer(await startServer(env, PORT)); // applies the migrations
    const ids = await seedCustomers(database.url, 10_000);
    await seedBookings(database.url, 3);
    const profileDir = projectFile('bench', 'results', `.profile-${process.pid}`);
    const profiling = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    const server = scenario.baseline
      ? await startServer({ DATABASE_URL: database.url }, PORT, BASELINE, profiling)
      : await startServer(env, PORT, SERVICE, profiling);
    const headers: Record<string, string> = scenario.baseline ? {} : { authorization: `Bearer ${await jwks.token(`profile-${Date.now()}`, [scenario.role])}` };
    const body = scenario.query ? { method: 'POST' as const, body: JSON.stringify({ query: scenario.query, variables: { id: ids[5000] } }) } : undefined;
    if (body) headers['content-type'] = 'application/json';
    const url = `http://127.0.0.1:${PORT}${scenario.path(ids[5000]!)}`;
    await runLoad(url, headers, 2, 50, body);
    const pg0 = new Map(postgresPids().map((pid) => [pid, ticks(pid)]));
    const service0 = ticks(server.pid!);
    const load = await runLoad(url, headers, SECONDS, 50, body);
    const serviceTicks = ticks(server.pid!) - service0;
    const postgresTicks = postgresPids().reduce((sum, pid) => sum + ticks(pid) - (pg0.get(pid) ?? 0), 0);
    await stopServer(server);
    const perRequest = (t: number) => `${Math.round((t * 10_000) / load.requests)} µs`;
    // The main thread's profile is the largest one written.
    const [file] = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort((a, b) => statSync(`${profileDir}/${b}`).size - statSync(`${profileDir}/${a}`).size);
    const kept = projectFile('bench', 'results', `profile-${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    renameSync(`${profileDir}/${file}`, kept);
    rmSync(profileDir, { recursive: true, force: true });
    process.stdout.write(
      [
        `${name}: ${Math.round(load.rps)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms (${load.non2xx} non-2xx) over ${SECONDS} s, 50 connections`,
        `CPU per request: service ${perRequest(serviceTicks)}, PostgreSQL ${perRequest(postgresTicks)} (includes the profiler's own overhead)`,
        `profile: ${kept}`,
        '',
        summariseProfile(kept),
        '',
      ].join('\n'),
    );
  } finally {
    await jwks.close();
    await database.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile could not run: ${(err as Error).message}\n`);
  process.exit(1);
});
