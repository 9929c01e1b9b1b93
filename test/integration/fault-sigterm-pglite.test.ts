import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditedInFeed, fetchSend, mixedOperations, sendOne, unaudited, type Outcome } from '../helpers/fault-load.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { signDevToken } from '../helpers/tokens.js';

// Two server start-ups: slow when the whole suite runs on PGlite, hence the long timeout.
// The embedded mode (no DATABASE_URL: PGlite keeping its data in PGLITE_DIR) under the
// same shutdown: SIGTERM during a load, then a second start on the same folder must find
// every write and every audit row of a 2xx, with the hash chain intact.

const SECRET = 'fault-tests-dev-secret-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'fieldguard-pglite-'));
const env = { PGLITE_DIR: dir, AUTH_DEV_SECRET: SECRET, LOG_LEVEL: 'warn' };
const running: ServerProcess[] = [];

afterAll(() => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const token = (sub: string, role: string) => signDevToken({ sub, roles: [role], expiresIn: '15m' }, SECRET);
const ok = (o: Outcome) => o.status >= 200 && o.status < 300;

describe('SIGTERM under load (embedded PGlite)', () => {
  it('exits cleanly within 10 s and restarts on the same folder with data and audit chain intact', async () => {
    const first = await startServerProcess(env);
    running.push(first);
    const send = fetchSend(first.base);
    const [agent, admin, auditor] = await Promise.all([token('alice', 'agent'), token('root', 'admin'), token('siem', 'auditor')]);
    const list = await send({ method: 'GET', url: '/v1/customers?limit=100', headers: { authorization: `Bearer ${agent}` } });
    const ops = mixedOperations({ agent, admin }, (JSON.parse(list.body) as { items: Array<{ id: string }> }).items.map((c) => c.id));

    const outcomes: Outcome[] = [];
    let n = 0;
    let exited = false;
    const workers = Array.from({ length: 6 }, async () => {
      while (!exited) outcomes.push(await sendOne(send, ops, n++));
    });
    for (const deadline = Date.now() + 30_000; outcomes.filter(ok).length < 60; ) {
      if (Date.now() > deadline) throw new Error(`no healthy load: ${JSON.stringify(outcomes.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const signalled = Date.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    exited = true;
    await Promise.all(workers);

    expect(exit.code).toBe(0);
    expect(exit.at - signalled).toBeLessThan(10_000);
    // Sent before the signal: answered (or 503 if it arrived after it). After it:
    // answered, refused with 503, or, once the listener has closed, no connection (a
    // keep-alive socket closing under a request is a reset). Never a 500.
    expect(outcomes.filter((o) => o.sentAt < signalled && !ok(o) && o.status !== 503)).toEqual([]);
    expect(outcomes.filter((o) => o.status !== 0 && !ok(o) && o.status !== 503)).toEqual([]);
    expect(outcomes.some((o) => o.status === 503 && o.code === 'UNAVAILABLE')).toBe(true);

    const second = await startServerProcess(env);
    running.push(second);
    const again = fetchSend(second.base);
    const verify = await again({ method: 'GET', url: '/v1/audit/verify', headers: { authorization: `Bearer ${auditor}` } });
    expect(verify.status).toBe(200);
    expect(JSON.parse(verify.body)).toMatchObject({ ok: true });
    expect(unaudited(outcomes, await auditedInFeed(again, auditor))).toEqual([]);
    // Every customer a 2xx create returned is still there.
    const created = outcomes.filter((o) => o.op === 'rest.create' && ok(o)).flatMap((o) => o.ids);
    expect(created.length).toBeGreaterThan(0);
    for (const id of created) {
      const res = await again({ method: 'GET', url: `/v1/customers/${id}`, headers: { authorization: `Bearer ${admin}` } });
      expect(res.status, id).toBe(200);
    }
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 120_000);
});
