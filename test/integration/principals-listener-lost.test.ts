import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultApp, type FaultApp } from '../helpers/fault-app.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { GRAPHQL_ACCEPT } from '../helpers/test-app.js';

// The memory of disabled people is trusted only while its listener proves it current.
// Here the listener's session is killed and the database refuses new sessions, so it
// cannot come back: within the bound requests are still served, past it every request
// fails closed (503), and once the listener reconnects it reloads the whole table, so a
// person disabled meanwhile (whose announcement nobody heard) is refused. On a
// PostgreSQL of the test's own (as the fault tests), so it runs whatever the suite's mode.

// Long enough that a loaded machine serves the first request within it (heartbeats every quarter of it).
const BOUND_MS = 5_000;

let postgres: PrivatePostgres;
let t: FaultApp;
let owner: pg.Client;
/** On the server's own database: a database cannot refuse sessions from a session inside it. */
let server: pg.Client;
const name = 'fieldguard';

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  t = await startFaultApp(postgres, { PRINCIPAL_STATUS_MAX_STALE_MS: String(BOUND_MS), DATABASE_POOL_MAX: '4', LOG_LEVEL: 'info' });
  // One session held throughout: while new ones are refused, this one still works.
  owner = new pg.Client({ connectionString: t.url });
  await owner.connect();
  server = new pg.Client({ connectionString: postgres.adminUrl });
  await server.connect();
});

afterAll(async () => {
  await server?.end();
  await owner?.end();
  await t?.close();
  await postgres?.destroy();
});

const get = async (token: string, url = '/v1/customers?limit=1') => {
  const res = await t.send({ method: 'GET', url, headers: auth(token) });
  return { status: res.status, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : {} };
};
const graphqlStatus = async (token: string) =>
  (
    await t.send({
      method: 'POST',
      url: '/graphql',
      headers: { ...auth(token), accept: GRAPHQL_ACCEPT, 'content-type': 'application/json' },
      body: { query: '{ customers(first: 1) { nodes { id } } }' },
    })
  ).status;

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
    const agent = await t.token('alice', 'agent');
    const leaver = await t.token('leo', 'agent');
    expect((await get(agent)).status).toBe(200);
    expect((await get(leaver)).status).toBe(200);

    await server.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const killed = await owner.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'fieldguard-listener' and datname = $1`, [name]);
    expect(killed.rowCount).toBe(1);
    const lostAt = performance.now();
    // Nobody hears of this: the listener is gone.
    await owner.query(`insert into principal_status (sub, disabled, reason, changed_by) values ('leo', true, 'Disabled while the listener was down', 'root')`);

    // Within the bound the memory is still trusted.
    expect((await get(agent)).status).toBe(200);
    // Past it, everyone is refused, REST and GraphQL, and the instance says it is not ready.
    const elapsed = await waitFor(async () => (await get(agent)).status === 503, BOUND_MS + 5_000);
    const failedClosedAfter = performance.now() - lostAt;
    console.log(`listener lost: requests failed closed after ${failedClosedAfter.toFixed(0)} ms (bound ${BOUND_MS} ms)`);
    // Not before the bound, less the last heartbeat's age (up to a quarter of it) and some slack;
    // and soon after it, give or take a loaded machine's scheduling.
    expect(failedClosedAfter).toBeGreaterThan(BOUND_MS / 2);
    expect(elapsed).toBeLessThan(BOUND_MS + 3_000);
    const refused = await get(agent);
    expect(refused.body).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(refused.body.detail).toMatch(/account status/i);
    expect(await graphqlStatus(agent)).toBe(503);
    expect((await t.send({ method: 'GET', url: '/readyz', headers: {} })).status).toBe(503);

    // Back: the listener reconnects, reloads the table, and serves again.
    await server.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await get(agent)).status === 200, 5_000);
    expect((await t.send({ method: 'GET', url: '/readyz', headers: {} })).status).toBe(200);
    const leo = await get(leaver);
    expect(leo.status).toBe(401);
    expect(leo.body.code).toBe('PRINCIPAL_DISABLED');
    expect(t.logs.some((l) => l.msg === 'principal status listener lost its connection; reconnecting')).toBe(true);
  }, 60_000);
});
