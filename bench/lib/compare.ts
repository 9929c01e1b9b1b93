import { SignJWT } from 'jose';
import { createBenchDatabase, seedCustomers } from './bench-database.js';
import { freePorts, startServer, stopServer } from './processes.js';
import { roundRatio, runRounds, type TargetResult } from './rounds.js';

export { ROUNDS, SECONDS } from './rounds.js';
export const SECRET = 'bench-secret-0123456789abcdef0123456789';

export interface Variant {
  name: string;
  env: Record<string, string>;
}

export const devToken = (sub: string, roles: string[]) =>
  new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

/**
 * Runs each variant's server against the same seeded database, alternating variants
 * round by round so drift on a shared machine hits all of them alike, and returns the
 * median of each. The first variant is the reference for ratios.
 */
export async function compareVariants(
  variants: Variant[],
  /** The request to load; `run` numbers the server runs, for a fresh subject per run. */
  request: (ids: string[], run: number) => Promise<{ path: string; headers: Record<string, string> }>,
): Promise<TargetResult[]> {
  const database = await createBenchDatabase();
  const [PORT] = (await freePorts(1)) as [number];
  try {
    // The per-principal rate limit would cap one load-generating principal; it is off here.
    const base = { DATABASE_URL: database.url, AUTH_DEV_SECRET: SECRET, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0' };
    await stopServer(await startServer(base, PORT)); // applies the migrations
    const ids = await seedCustomers(database.url, 10_000);
    // A fresh subject per run (`run`): per-person state such as read budgets must not
    // grow from one variant's run into the next one's.
    return await runRounds(
      variants.map((variant) => ({
        name: variant.name,
        reference: variants[0]!.name,
        port: PORT,
        start: () => startServer({ ...base, ...variant.env }, PORT),
        request: (run: number) => request(ids, run),
      })),
    );
  } finally {
    await database.drop();
  }
}

/** A markdown table with each variant's ratio to the first. */
export function table(title: string, rows: TargetResult[], reference = rows[0]!): string {
  return [
    `| ${title} | req/s | p50 ms | p99 ms | vs ${reference.target} |`,
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.target} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${roundRatio(r, reference).toFixed(2)} |`),
  ].join('\n');
}
