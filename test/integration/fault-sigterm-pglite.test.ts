import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditedInFeed, fetchSend, mixedOperations, sendOne, unaudited, type Outcome } from '../helpers/fault-load.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { signDevToken } from '../helpers/tokens.js';

// Two server start-ups: slow when the whole suite runs on PGlite, hence the long timeout.
// The embedded mode (no DATABASE_URL: PGlite keeping its data in PGLITE_DIR) under the
// same shutdown: SIGTERM during a load, then a second start on the same folder must find
// every write and every audit row of a 2xx, with the hash chain intact. PGlite cannot be
// locked from outside as the PostgreSQL test does, so one create is held in flight by
// sending only part of its body: the drain must wait for it, and requests arriving
// meanwhile must see the 503 (no race between the load and the shutdown decides that).

const SECRET = 'fault-tests-dev-secret-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'fieldguard-pglite-'));
const env = { PGLITE_DIR: dir, AUTH_DEV_SECRET: SECRET, LOG_LEVEL: 'warn' };
const running: ServerProcess[] = [];

afterAll(() => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A create whose body is sent in two parts: in flight on the server until released. */
function heldCreate(base: string, bearer: string) {
  const requestId = `fault-held-${randomUUID()}`;
  const body = JSON.stringify({ fullName: 'Held In Flight' });
  const sentAt = Date.now();
  let release!: () => void;
  const outcome = new Promise<Outcome>((resolve) => {
    const req = request(`${base}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        const parsed = res.statusCode === 201 ? (JSON.parse(text) as { id: string }) : null;
        resolve({ op: 'rest.create', requestId, status: res.statusCode ?? 0, ids: parsed ? [parsed.id] : [], code: null, sentAt, doneAt: Date.now() });
      });
    });
    req.on('error', (err) => resolve({ op: 'rest.create', requestId, status: 0, ids: [], code: null, sentAt, doneAt: Date.now(), transportError: err.message }));
    req.write(body.slice(0, 5));
    release = () => req.end(body.slice(5));
  });
  return { outcome, release: () => release() };
}

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
    const held = heldCreate(first.base, admin);
    await new Promise((r) => setTimeout(r, 300)); // its headers reach the server and count it in flight

    const signalled = Date.now();
    first.child.kill('SIGTERM');
    // The held create keeps the drain open: fresh requests now must be refused with 503.
    const late: Outcome[] = [];
    for (const deadline = Date.now() + 5_000; !late.some((o) => o.status === 503) && Date.now() < deadline; ) {
      late.push(await sendOne(send, ops, 0)); // a list: the lightest operation
    }
    held.release();
    const heldOutcome = await held.outcome;
    outcomes.push(heldOutcome, ...late);
    const exit = await first.exited;
    exited = true;
    await Promise.all(workers);

    expect(heldOutcome.status).toBe(201);

    expect(exit.code).toBe(0);
    expect(exit.at - signalled).toBeLessThan(10_000);
    // Sent before the signal: answered (or 503 if it arrived after it). After it:
    // answered, refused with 503, or, once the listener has closed, no connection (a
    // keep-alive socket closing under a request is a reset). Never a 500.
    expect(outcomes.filter((o) => o.sentAt < signalled && !ok(o) && o.status !== 503)).toEqual([]);
    expect(outcomes.filter((o) => o.status !== 0 && !ok(o) && o.status !== 503)).toEqual([]);
    expect(late.at(-1)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });

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
