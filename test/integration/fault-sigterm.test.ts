import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedInDatabase, fetchSend, mixedOperations, sendOne, unaudited, type Outcome } from '../helpers/fault-load.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { signDevToken } from '../helpers/tokens.js';

// SIGTERM to the real server process while requests are in flight. To know exactly which
// requests are in flight, the test holds a lock on the customers table: every request
// blocks inside the database, where pg_locks counts it. Then SIGTERM; requests arriving
// now must get 503; the lock goes; the blocked ones must finish with their audit rows,
// and the process must exit within 10 s of the signal.

const SECRET = 'fault-tests-dev-secret-0123456789abcdef';
const IN_FLIGHT = 24;

let server: PrivatePostgres;
let service: ServerProcess | undefined;
let url: string;

beforeAll(async () => {
  server = await startPrivatePostgres();
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE fieldguard');
  await admin.end();
  url = server.urlFor('fieldguard');
  service = await startServerProcess({
    DATABASE_URL: url,
    AUTH_DEV_SECRET: SECRET,
    DEMO_DATA: 'true',
    DATABASE_POOL_MAX: String(IN_FLIGHT + 6),
    // The blocked requests wait up to 20 s below for the others to block too: longer than the default 15 s statement timeout.
    DATABASE_STATEMENT_TIMEOUT_MS: '60000',
  });
});
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await server?.destroy();
});

const waiters = async (client: pg.Client) =>
  (await client.query<{ n: number }>(`select count(*)::int as n from pg_locks where not granted and relation = 'customers'::regclass`)).rows[0]!.n;

describe('SIGTERM under load (PostgreSQL)', () => {
  it('finishes the requests in flight with their audit rows, answers new ones 503, and exits within 10 s', async () => {
    const send = fetchSend(service!.base);
    const token = (sub: string, role: string) => signDevToken({ sub, roles: [role], expiresIn: '15m' }, SECRET);
    const agent = await token('alice', 'agent');
    const list = await send({ method: 'GET', url: '/v1/customers?limit=100', headers: { authorization: `Bearer ${agent}` } });
    const ids = (JSON.parse(list.body) as { items: Array<{ id: string }> }).items.map((c) => c.id);
    const ops = mixedOperations({ agent, admin: await token('root', 'admin') }, ids);

    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
    const inFlight = Array.from({ length: IN_FLIGHT }, (_, n) => sendOne(send, ops, n));
    for (const deadline = Date.now() + 20_000; (await waiters(holder)) < IN_FLIGHT; ) {
      if (Date.now() > deadline) throw new Error('requests did not reach the database');
      await new Promise((r) => setTimeout(r, 50));
    }

    const signalled = Date.now();
    service!.child.kill('SIGTERM');
    await service!.waitForLine(/"msg":"shutting down"/, 5_000);
    // Fresh requests while the old ones are still blocked: refused at once, never run.
    const late: Outcome[] = await Promise.all(Array.from({ length: 12 }, (_, n) => sendOne(send, ops, 1_000 + n)));
    await holder.query('ROLLBACK');
    await holder.end();

    const finished = await Promise.all(inFlight);
    const exit = await service!.exited;

    expect(late.map((o) => [o.status, o.code])).toEqual(late.map(() => [503, 'UNAVAILABLE']));
    expect(finished.filter((o) => o.status < 200 || o.status >= 300)).toEqual([]);
    expect(new Set(finished.map((o) => o.op)).size).toBe(ops.length);
    expect(exit.code).toBe(0);
    expect(exit.at - signalled).toBeLessThan(10_000);
    expect(unaudited(finished, await auditedInDatabase(url, finished))).toEqual([]);
  }, 60_000);
});
