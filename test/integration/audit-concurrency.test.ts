import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditWriter, type AuditWriter, type PendingAuditRow } from '../../src/audit/audit-writer.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { openDatabase, type Db } from '../../src/data/database.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Several service instances (each its own pool and writer) append to one chain at once,
// while a SIEM consumer follows the feed. Embedded PGlite is one process by nature, so
// there the writers share one instance.
const INSTANCES = process.env.DATABASE_URL ? 5 : 1;
const WRITERS = 50;
const EVENTS_PER_WRITER = 200;
const TOTAL = WRITERS * EVENTS_PER_WRITER;

let t: TestApp;
let instances: Array<{ db: Db; writer: AuditWriter }>;
let baseline: number;

beforeAll(async () => {
  // One consumer principal polls as fast as it can: the per-principal rate limit is off here.
  t = await startTestApp({ RATE_LIMIT_MAX: '0' });
  baseline = (await t.database.query('select count(*)::int as n from audit_events')).rows[0].n;
  instances = Array.from({ length: INSTANCES }, () => {
    const db = openDatabase({ url: t.database.url, poolMax: process.env.DATABASE_URL ? 3 : 1, preparedStatements: t.database.preparedStatements, log: pino({ level: 'silent' }) });
    return { db, writer: createAuditWriter(db, pino({ level: 'silent' }), { groupCommit: true }) };
  });
});
afterAll(async () => {
  await Promise.all((instances ?? []).map((i) => i.db.destroy()));
  await t?.close();
});

const row = (writer: number, n: number): PendingAuditRow => ({
  eventId: randomUUID(),
  occurredAt: new Date(),
  actorSub: `writer-${writer}`,
  actorRoles: ['agent'],
  actorTokenId: null,
  channel: 'rest',
  action: 'read',
  resourceType: 'Customer',
  resourceIds: [],
  fieldsClear: [],
  fieldsMasked: [],
  fieldsWithheld: [],
  fieldsWritten: [],
  outcome: 'allowed',
  reason: null,
  requestId: `w${writer}-${n}`,
  purpose: null,
  clientIp: null,
  userAgent: null,
  policyVersion: 'test',
  details: { n },
});

describe(`${WRITERS} concurrent writers x ${EVENTS_PER_WRITER} events on ${INSTANCES} instance(s)`, () => {
  it('leaves one linear chain, and a consumer following the feed gets every event exactly once, in order', async () => {
    const written: string[] = [];
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      const { writer } = instances[w % INSTANCES]!;
      for (let n = 0; n < EVENTS_PER_WRITER; n++) {
        const r = row(w, n);
        await writer.write(r);
        written.push(r.eventId);
      }
    });

    const headers = { authorization: `Bearer ${await t.token('siem', 'auditor')}` };
    const consumed: Array<{ eventId: string; seq: string }> = [];
    const consumer = (async () => {
      let after = '';
      for (;;) {
        // Whether the writers were done before this page was asked for: only then does an
        // empty page mean the end (one asked while the last batches committed may miss them).
        const writersDone = !writing;
        const res = await t.http({ url: `/v1/audit/events?limit=100${after ? `&after=${after}` : ''}`, headers });
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json() as { items: Array<{ eventId: string; seq: string }>; nextCursor: string | null };
        consumed.push(...page.items);
        after = page.nextCursor ?? '';
        if (page.items.length === 0) {
          if (writersDone) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();

    await Promise.all(writers);
    writing = false;
    await consumer;

    expect(written).toHaveLength(TOTAL);
    const ids = consumed.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(baseline + TOTAL);
    const seqs = consumed.map((e) => Number(e.seq));
    seqs.forEach((s, i) => expect(s).toBe(i + 1));
    expect(new Set(ids)).toEqual(new Set([...ids.slice(0, baseline), ...written]));

    const report = await verifyChain(instances[0]!.db);
    expect(report).toMatchObject({ ok: true, verified: baseline + TOTAL, firstBroken: null });
  }, 180_000);
});
