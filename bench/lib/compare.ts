import { SignJWT } from 'jose';
import { createBenchDatabase, seedCustomers } from './bench-database.js';
import { runLoad, startServer, stopServer, type LoadResult } from './processes.js';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP = 2;
const PORT = 18_181;
export const SECRET = 'bench-secret-0123456789abcdef0123456789';

export interface Variant {
  name: string;
  env: Record<string, string>;
}

export interface VariantResult {
  variant: string;
  rps: number;
  p50: number;
  p99: number;
  rounds: LoadResult[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
): Promise<VariantResult[]> {
  const database = await createBenchDatabase();
  try {
    // The per-principal rate limit would cap one load-generating principal; it is off here.
    const base = { DATABASE_URL: database.url, AUTH_DEV_SECRET: SECRET, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0' };
    await stopServer(await startServer(base, PORT)); // applies the migrations
    const ids = await seedCustomers(database.url, 10_000);
    const results = new Map<string, LoadResult[]>(variants.map((v) => [v.name, []]));
    let run = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of variants) {
        // A fresh subject per run: per-person state (read budgets count the caller's own
        // audit history) must not grow from one variant's run into the next one's.
        const { path, headers } = await request(ids, run++);
        const url = `http://127.0.0.1:${PORT}${path}`;
        const server = await startServer({ ...base, ...variant.env }, PORT);
        try {
          await runLoad(url, headers, WARMUP);
          const r = await runLoad(url, headers, SECONDS);
          if (r.non2xx > 0 || r.errors > 0) throw new Error(`${variant.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          results.get(variant.name)!.push(r);
          process.stderr.write(`  round ${round + 1} ${variant.name}: ${Math.round(r.rps)} req/s\n`);
        } finally {
          await stopServer(server);
        }
      }
    }
    return variants.map((v) => {
      const rs = results.get(v.name)!;
      return { variant: v.name, rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), rounds: rs };
    });
  } finally {
    await database.drop();
  }
}

/** A markdown table with each variant's ratio to the first. */
export function table(title: string, rows: VariantResult[], reference = rows[0]!): string {
  return [
    `| ${title} | req/s | p50 ms | p99 ms | vs ${reference.variant} |`,
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.variant} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / reference.rps).toFixed(2)} |`),
  ].join('\n');
}
