import pg from 'pg';

/**
 * Under CI the suite must run against the machine's PostgreSQL: an unreachable server is
 * a failure, never a silent fall-back to embedded PGlite.
 */
export default async function globalSetup() {
  const url = process.env.DATABASE_URL;
  if (process.env.CI === 'true' && !url) throw new Error('CI=true but DATABASE_URL is not set');
  if (!url) return;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`DATABASE_URL is set but PostgreSQL is unreachable: ${(err as Error).message}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}
