import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let auditor: Record<string, string>;
let giuliaId: string;
let confidentialId: string;
let between: string;

const feed = (query: string, headers = auditor) => t.http({ url: `/v1/audit/events${query}`, headers });
const as = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });
const dbEvents = async (where = 'true', values: unknown[] = []) =>
  (await t.database.query(`select event_id from audit_events where ${where} order by seq`, values)).rows.map((r) => r.event_id as string);

/** Every event the filter returns, paging with `limit` until caught up. */
async function drain(query: string, limit = 3) {
  const ids: string[] = [];
  let after = '';
  for (let i = 0; i < 1000; i++) {
    const res = await feed(`?limit=${limit}${query}${after ? `&after=${after}` : ''}`);
    expect(res.statusCode).toBe(200);
    const page = res.json();
    ids.push(...page.items.map((e: { eventId: string }) => e.eventId));
    if (page.items.length === 0) return ids;
    after = page.nextCursor;
  }
  throw new Error('feed never caught up');
}

beforeAll(async () => {
  t = await startTestApp();
  auditor = await as('eve', 'auditor');
  const { rows } = await t.database.query(`select id, full_name from customers`);
  giuliaId = rows.find((r) => r.full_name === 'Giulia Marchetti').id;
  confidentialId = rows.find((r) => r.full_name === 'Vittoria Colonna').id;
  const alice = await as('alice', 'agent');
  await t.http({ url: `/v1/customers/${giuliaId}`, headers: { ...alice, 'x-purpose': 'ticket 1' } });
  await t.http({ url: `/v1/customers/${confidentialId}`, headers: await as('bob', 'agent') });
  await new Promise((r) => setTimeout(r, 20));
  between = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  await t.http({ url: '/v1/customers?limit=5', headers: await as('carol', 'manager') });
  await t.http({ url: '/v1/customers/export?format=ndjson', headers: await as('root', 'admin') });
  await t.http({ url: '/v1/customers/export', headers: alice });
});
afterAll(() => t?.close());

describe('feed formats', () => {
  it('json (default): { items, nextCursor } with chain position, hashes and details', async () => {
    const res = await feed('?limit=2');
    expect(res.headers['content-type']).toContain('application/json');
    const page = res.json();
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({ seq: '1', prevHash: '0'.repeat(64), hash: expect.stringMatching(/^[0-9a-f]{64}$/), details: null });
    expect(page.items[1].prevHash).toBe(page.items[0].hash);
    expect(res.headers['x-next-cursor']).toBe(page.nextCursor);
  });

  it('ndjson: one event per line, the cursor in X-Next-Cursor', async () => {
    const res = await feed('?format=ndjson&limit=3');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.eventId)).toEqual((await dbEvents()).slice(0, 3));
    const next = await feed(`?format=ndjson&limit=3&after=${res.headers['x-next-cursor']}`);
    expect(JSON.parse(next.body.split('\n')[0]!).seq).toBe('4');
  });

  it('ocsf and ecs: the same page, each event mapped', async () => {
    const ids = (await dbEvents()).slice(0, 4);
    const ocsf = (await feed('?format=ocsf&limit=4')).json();
    expect(ocsf.items.map((e: any) => e.metadata.uid)).toEqual(ids);
    expect(ocsf.items[0]).toMatchObject({ class_uid: 6003, activity_id: 2, actor: { user: { uid: 'alice' } }, unmapped: { purpose: 'ticket 1' } });
    const ecs = (await feed('?format=ecs&limit=4')).json();
    expect(ecs.items.map((e: any) => e.event.id)).toEqual(ids);
    expect(ecs.items[1]).toMatchObject({ event: { type: ['access', 'denied'], outcome: 'failure' }, user: { id: 'bob' } });
    expect(ecs.nextCursor).toBe(ocsf.nextCursor);
  });
});

describe('feed filters', () => {
  it('filters by actor, resource id, action and outcome', async () => {
    expect(await drain('&actor=alice')).toEqual(await dbEvents(`actor_sub = 'alice'`));
    expect(await drain(`&resourceId=${giuliaId}`)).toEqual(await dbEvents(`$1 = any(resource_ids)`, [giuliaId]));
    expect(await drain(`&resourceId=${confidentialId}&outcome=denied`)).toHaveLength(1);
    expect(await drain('&action=export')).toEqual(await dbEvents(`action = 'export'`));
    const denied = await drain('&outcome=denied');
    expect(denied).toEqual(await dbEvents(`outcome = 'denied'`));
    expect(denied.length).toBeGreaterThanOrEqual(2);
    expect(await drain('&actor=nobody')).toEqual([]);
  });

  it('filters by time: from inclusive, to exclusive', async () => {
    const later = await drain(`&from=${encodeURIComponent(between)}`);
    const earlier = await drain(`&to=${encodeURIComponent(between)}`);
    expect(later).toEqual(await dbEvents(`occurred_at >= $1`, [between]));
    expect(earlier).toEqual(await dbEvents(`occurred_at < $1`, [between]));
    expect(earlier).toHaveLength(2);
    expect([...earlier, ...later]).toEqual(await dbEvents());
  });

  it('a filtered page moves the cursor past what did not match, and misses nothing after it', async () => {
    const first = (await feed('?actor=nobody')).json();
    expect(first.items).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    await t.http({ url: `/v1/customers/${giuliaId}`, headers: await as('nobody', 'agent') });
    const next = (await feed(`?actor=nobody&after=${first.nextCursor}`)).json();
    expect(next.items.map((e: { actor: { sub: string } }) => e.actor.sub)).toEqual(['nobody']);
  });
});

describe('feed validation and access', () => {
  it.each([
    ['?format=xml', 'VALIDATION_FAILED'],
    ['?outcome=maybe', 'VALIDATION_FAILED'],
    ['?from=yesterday', 'VALIDATION_FAILED'],
    ['?to=2026-13-01T00:00:00Z', 'VALIDATION_FAILED'],
    ['?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z', 'VALIDATION_FAILED'],
    ['?action=read%20or%201%3D1', 'VALIDATION_FAILED'],
    ['?actor=', 'VALIDATION_FAILED'],
    ['?limit=0', 'VALIDATION_FAILED'],
    ['?sub=alice', 'VALIDATION_FAILED'],
    ['?after=bm90LW91cnM', 'INVALID_CURSOR'],
  ])('%s -> 400 %s', async (query, code) => {
    const res = await feed(query);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe(code);
  });

  it.each([['carol', 'manager'], ['alice', 'agent']])('is refused to %s (%s)', async (sub, role) => {
    for (const format of ['json', 'ndjson', 'ocsf', 'ecs']) {
      const res = await feed(`?format=${format}`, await as(sub, role));
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
    }
  });
});

describe('at-least-once under concurrent writes', () => {
  it('a consumer paging while others write gets every event once, in chain order', async () => {
    const headers = await as('alice', 'agent');
    let writing = true;
    const writers = Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) await t.http({ url: `/v1/customers/${giuliaId}`, headers });
      }),
    ).finally(() => (writing = false));
    const seen: Array<{ eventId: string; seq: string }> = [];
    let after = '';
    let pagesWhileWriting = 0;
    for (;;) {
      const stillWriting = writing;
      const page = (await feed(`?limit=7${after ? `&after=${after}` : ''}`)).json();
      seen.push(...page.items);
      after = page.nextCursor;
      if (stillWriting && page.items.length > 0) pagesWhileWriting++;
      if (page.items.length === 0 && !stillWriting) break;
    }
    await writers;
    expect(pagesWhileWriting).toBeGreaterThan(1);
    const seqs = seen.map((e) => BigInt(e.seq));
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    expect(seen.map((e) => e.eventId)).toEqual(await dbEvents());
  });
});
