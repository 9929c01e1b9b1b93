import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/data/embedded-postgres.js';

export interface TestDatabase {
  url: string;
  poolMax: number;
  /** Runs raw SQL as the database owner (superuser on the test server). */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file: a new database on the server at
 * DATABASE_URL when set, else an in-memory PGlite.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres(undefined, 2);
    // A fresh client per query: pglite-socket can drop a second long-lived connection
    // after a statement on it fails (seen with 0.2.17).
    const query = async (text: string, values?: unknown[]) => {
      const client = new pg.Client({ connectionString: embedded.url });
      await client.connect();
      try {
        return await client.query(text, values);
      } finally {
        await client.end();
      }
    };
    return { url: embedded.url, poolMax: 1, query, drop: () => embedded.stop() };
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
    query: (text, values) => pool.query(text, values),
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
