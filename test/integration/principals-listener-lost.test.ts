import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// The memory of disabled people is trusted only while its listener proves it current.
// Here the listener's session is killed and the database refuses new sessions, so it
// cannot come back: within the bound requests are still served, past it every request
// fails closed (503), and once the listener reconnects it reloads the whole table, so a
// person disabled meanwhile (whose announcement nobody heard) is refused.

const BOUND_MS = 2_000;

let t: TestApp;
let owner: pg.Client;
/** On the server's own database: a database cannot refuse sessions from a session inside it. */
let server: pg.Client;
let name: string;

beforeAll(async () => {
  t = await startTestApp({ PRINCIPAL_STATUS_MAX_STALE_MS: String(BOUND_MS) });
  // One session held throughout: while new ones are refused, this one still works.
  owner = new pg.Client({ connectionString: t.database.url });
  await owner.connect();
  name = (await owner.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
  server = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await server.connect();
});

afterAll(async () => {
  await server?.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
  await server?.end();
  await owner?.end();
  await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function waitFor(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < withinMs) {
    if (await check()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${withinMs} ms`);
}

describe('a lost listener', () => {
  it('fails every request closed once it has been gone longer than PRINCIPAL_STATUS_MAX_STALE_MS, and recovers with the full state', async () => {
    // Real PostgreSQL only: the test needs to stop new sessions to one database.
    expect(process.env.DATABASE_URL, 'run with DATABASE_URL set').toBeTruthy();
    const agent = await t.token('alice', 'agent');
    const leaver = await t.token('leo', 'agent');
    expect((await t.http({ url: '/v1/customers?limit=1', headers: auth(agent) })).statusCode).toBe(200);
    expect((await t.http({ url: '/v1/customers?limit=1', headers: auth(leaver) })).statusCode).toBe(200);

    await server.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const killed = await owner.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'fieldguard-listener' and datname = $1`, [name]);
    expect(killed.rowCount).toBe(1);
    const lostAt = performance.now();
    // Nobody hears of this: the listener is gone.
    await owner.query(`insert into principal_status (sub, disabled, reason, changed_by) values ('leo', true, 'Disabled while the listener was down', 'root')`);

    // Within the bound the memory is still trusted.
    expect((await t.http({ url: '/v1/customers?limit=1', headers: auth(agent) })).statusCode).toBe(200);
    // Past it, everyone is refused, REST and GraphQL, and the instance says it is not ready.
    const elapsed = await waitFor(async () => (await t.http({ url: '/v1/customers?limit=1', headers: auth(agent) })).statusCode === 503, BOUND_MS + 3_000);
    const failedClosedAfter = performance.now() - lostAt;
    console.log(`listener lost: requests failed closed after ${failedClosedAfter.toFixed(0)} ms (bound ${BOUND_MS} ms)`);
    expect(failedClosedAfter).toBeGreaterThan(BOUND_MS - 1_000);
    expect(elapsed).toBeLessThan(BOUND_MS + 1_500);
    const refused = await t.http({ url: '/v1/customers?limit=1', headers: auth(agent) });
    expect(refused.json()).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(refused.json().detail).toMatch(/account status/i);
    expect((await graphql(t.app, agent, '{ customers(first: 1) { nodes { id } } }')).status).toBe(503);
    expect((await t.http({ url: '/readyz' })).statusCode).toBe(503);

    // Back: the listener reconnects, reloads the table, and serves again.
    await server.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await t.http({ url: '/v1/customers?limit=1', headers: auth(agent) })).statusCode === 200, 5_000);
    expect((await t.http({ url: '/readyz' })).statusCode).toBe(200);
    const leo = await t.http({ url: '/v1/customers?limit=1', headers: auth(leaver) });
    expect(leo.statusCode).toBe(401);
    expect(leo.json().code).toBe('PRINCIPAL_DISABLED');
    expect(t.logs.some((l) => l.msg === 'principal status listener lost its connection; reconnecting')).toBe(true);
  });
});
