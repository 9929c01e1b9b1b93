import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/data/embedded-postgres.js';

export interface TestDatabase {
  url: string;
  poolMax: number;
  /** Whether named statements may be used: not on PGlite, whose connections share one session. */
  preparedStatements: boolean;
  /** Runs raw SQL as the database owner (superuser on the test server). */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Runs statements in order on one connection (session settings carry over); returns the last result. */
  session(statements: Array<[string, unknown[]?]>): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

/**
 * Whether the suite runs on a PostgreSQL server (DATABASE_URL), not embedded PGlite,
 * which serves every connection in one session (locks, roles and settings shared).
 */
export const onServer = Boolean(process.env.DATABASE_URL);

/**
 * A fresh, empty database for one test file: a new database on the server at
 * `serverUrl` (DATABASE_URL by default) when set, else an in-memory PGlite.
 */
export async function createTestDatabase(serverUrl = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres(undefined, { maxConnections: 10 });
    // A fresh client per query: pglite-socket can drop a second long-lived connection
    // after a statement on it fails (seen with 0.2.17).
    const session = async (statements: Array<[string, unknown[]?]>) => onOneClient(embedded.url, statements);
    const query = (text: string, values?: unknown[]) => session([[text, values]]);
    return { url: embedded.url, poolMax: 1, preparedStatements: false, query, session, drop: () => embedded.stop() };
  }
  const name = `fieldguard_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    url: url.toString(),
    poolMax: 5,
    preparedStatements: true,
    query: (text, values) => pool.query(text, values),
    session: (statements) => onOneClient(url.toString(), statements),
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      // Pools report "ended" slightly before the server has closed their sessions; a
      // forced drop would kill those sessions and surface as unhandled client errors.
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(`DROP DATABASE IF EXISTS ${name}${attempt >= 20 ? ' WITH (FORCE)' : ''}`);
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await client.end();
    },
  };
}

async function onOneClient(url: string, statements: Array<[string, unknown[]?]>): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let result: pg.QueryResult | undefined;
    for (const [text, values] of statements) result = await client.query(text, values);
    return result!;
  } finally {
    await client.end();
  }
}
