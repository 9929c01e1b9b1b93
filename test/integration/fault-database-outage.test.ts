import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultApp, type FaultApp } from '../helpers/fault-app.js';
import { auditedInDatabase, mixedOperations, sendOne, unaudited, type Outcome } from '../helpers/fault-load.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';

// PostgreSQL goes away under a mixed REST + GraphQL load of reads and writes, twice: a
// fast shutdown (sessions terminated, as in a failover) and an immediate one (a crash).
// The server is the test's own, on a spare port; CI's shared server is never stopped.

let server: PrivatePostgres;
let t: FaultApp;
const crashes: unknown[] = [];
const onCrash = (err: unknown) => crashes.push(err);

beforeAll(async () => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  server = await startPrivatePostgres();
  t = await startFaultApp(server, { DATABASE_POOL_MAX: '4', DATABASE_CONNECT_TIMEOUT_MS: '2000', LOG_LEVEL: 'warn' });
});
afterAll(async () => {
  await t?.close();
  await server?.destroy();
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
});

const until = async (what: string, done: () => boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const ok = (o: Outcome) => o.status >= 200 && o.status < 300;

describe('PostgreSQL stopped under load', () => {
  it('answers only 503 while it is down, recovers without a restart, and never serves data without its audit row', async () => {
    const tokens = { agent: await t.token('alice', 'agent'), admin: await t.token('root', 'admin') };
    const ops = mixedOperations(tokens, await t.agentCustomerIds());
    const outcomes: Outcome[] = [];
    let n = 0;
    let running = true;
    const workers = Array.from({ length: 6 }, async () => {
      while (running) outcomes.push(await sendOne(t.send, ops, n++));
    });
    const sentAfter = (time: number) => outcomes.filter((o) => o.sentAt > time);

    const cycles: Array<{ how: 'stop' | 'kill'; stopping: number; down: number; up: number; recovered: number }> = [];
    try {
      for (const how of ['stop', 'kill'] as const) {
        const mark = Date.now();
        await until('a healthy load', () => sentAfter(mark).filter(ok).length >= 60);
        const stopping = Date.now();
        await server[how]();
        const down = Date.now();
        await until('load while down', () => sentAfter(down).length >= 60 && Date.now() - down > 1_000);
        const up = Date.now();
        await server.start();
        // No restart of the app: the pool drops dead connections and opens new ones.
        await until('recovery', () => sentAfter(up).some(ok));
        const recovered = Date.now();
        await until('a healthy load after recovery', () => sentAfter(recovered + 500).length >= 60);
        cycles.push({ how, stopping, down, up, recovered });
      }
    } finally {
      running = false;
      await Promise.all(workers);
    }

    expect(crashes).toEqual([]);
    // Nothing but success or "try again": no 500, no hang, no transport failure.
    const statuses = new Set(outcomes.map((o) => o.status));
    expect([...statuses].filter((s) => ![200, 201, 503].includes(s))).toEqual([]);
    for (const c of cycles) {
      const whileDown = outcomes.filter((o) => o.sentAt >= c.down && o.doneAt <= c.up);
      expect(whileDown.length, c.how).toBeGreaterThanOrEqual(60);
      expect(whileDown.filter((o) => o.status !== 503), c.how).toEqual([]);
      expect(whileDown.filter((o) => !['UNAVAILABLE', 'AUDIT_UNAVAILABLE'].includes(o.code ?? '')), c.how).toEqual([]);
      const after = outcomes.filter((o) => o.sentAt > c.recovered + 500 && o.doneAt < (cycles[cycles.indexOf(c) + 1]?.stopping ?? Infinity));
      expect(after.filter((o) => !ok(o)), c.how).toEqual([]);
      // Every kind of request came back, REST and GraphQL, reads and writes.
      expect(new Set(after.map((o) => o.op)).size, c.how).toBe(ops.length);
    }

    const served = outcomes.filter((o) => ok(o) && o.ids.length > 0);
    expect(served.length).toBeGreaterThan(200);
    expect(unaudited(outcomes, await auditedInDatabase(t.url, served))).toEqual([]);
  }, 180_000);
});
