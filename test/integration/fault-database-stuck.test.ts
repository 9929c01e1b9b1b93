import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAIN_LOCK_KEY } from '../../src/audit/chain.js';
import { startFaultApp, type FaultApp } from '../helpers/fault-app.js';
import { mixedOperations, sendOne, type Outcome } from '../helpers/fault-load.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';

// A database that answers but does not move: a lock held by another session stalls our
// statements until statement_timeout cancels them, while the requests behind them find
// the pool exhausted and give up after the connect timeout. Either way the caller gets a
// 503 within the configured bounds, and the pool is healthy again once the lock goes.

const POOL_MAX = 3;
const CONNECT_MS = 1_000;
const STATEMENT_MS = 2_500;
// A request may wait for a slot, then for a flush of the audit batch ahead of its own,
// then for its own: three rounds at most. Generous on purpose: this bounds a hang.
const BOUND_MS = 3 * (CONNECT_MS + STATEMENT_MS) + 2_000;

let server: PrivatePostgres;
let t: FaultApp;
let ops: ReturnType<typeof mixedOperations>;

beforeAll(async () => {
  server = await startPrivatePostgres();
  t = await startFaultApp(server, {
    DATABASE_POOL_MAX: String(POOL_MAX),
    DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
    DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
    LOG_LEVEL: 'warn',
  });
  ops = mixedOperations({ agent: await t.token('alice', 'agent'), admin: await t.token('root', 'admin') }, await t.agentCustomerIds());
});
afterAll(async () => {
  await t?.close();
  await server?.destroy();
});

const burst = (size: number, from: number): Promise<Outcome[]> =>
  Promise.all(Array.from({ length: size }, (_, i) => sendOne(t.send, ops, from + i)));

/** Holds a lock from a session of its own until released. */
async function holding(statements: string[]) {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  await client.query('BEGIN');
  for (const s of statements) await client.query(s);
  return async () => {
    await client.query('ROLLBACK');
    await client.end();
  };
}

/** After a fault: every kind of request succeeds again and no session is left stuck. */
async function expectPoolHealthy(from: number) {
  const outcomes = await burst(4 * POOL_MAX, from);
  expect(outcomes.filter((o) => o.status >= 300)).toEqual([]);
  expect((await t.send({ method: 'GET', url: '/readyz', headers: {} })).status).toBe(200);
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  const { rows } = await admin.query<{ state: string }>(`select state from pg_stat_activity where application_name = 'fieldguard'`);
  await admin.end();
  // The request pool, plus the one connection the audit writer keeps to itself.
  expect(rows.length).toBeLessThanOrEqual(POOL_MAX + 1);
  expect(rows.filter((r) => r.state !== 'idle')).toEqual([]);
}

const failureCodes = () =>
  t.logs.filter((l) => l.msg === 'request failed' || l.msg === 'resolver failed').map((l) => (l.err as { code?: string }).code ?? 'none');

describe('a stuck or exhausted database', () => {
  it('turns customer reads and writes blocked by a lock into 503 within the timeouts, then recovers', async () => {
    const release = await holding(['LOCK TABLE customers IN ACCESS EXCLUSIVE MODE']);
    let outcomes: Outcome[];
    try {
      outcomes = await burst(4 * POOL_MAX, 0);
    } finally {
      await release();
    }
    expect(outcomes.filter((o) => o.status !== 503)).toEqual([]);
    expect(outcomes.filter((o) => o.doneAt - o.sentAt > BOUND_MS)).toEqual([]);
    // Both limits did their part: statements cancelled (57014) and waits for a slot given up.
    expect(new Set(failureCodes())).toEqual(new Set(['57014', 'none']));
    await expectPoolHealthy(100);
  }, 60_000);

  it('fails closed with 503 when the audit chain cannot be appended to, then recovers', async () => {
    const release = await holding([`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`]);
    let outcomes: Outcome[];
    try {
      outcomes = await burst(4 * POOL_MAX, 200);
    } finally {
      await release();
    }
    expect(outcomes.filter((o) => o.status !== 503)).toEqual([]);
    expect(outcomes.filter((o) => o.ids.length > 0)).toEqual([]);
    expect(outcomes.filter((o) => o.doneAt - o.sentAt > BOUND_MS)).toEqual([]);
    expect(outcomes.some((o) => o.code === 'AUDIT_UNAVAILABLE')).toBe(true);
    await expectPoolHealthy(300);
  }, 60_000);
});
