import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let ids: string[];

/** The default policy with small budgets: agent 5/1h block, assistant 3/1h alert, an exporter 5/1h block. */
function writeTestPolicy(): string {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.roles.agent.readBudget = { customers: 5, window: '1h', onExceed: 'block' };
  doc.roles.assistant.readBudget = { customers: 3, window: '1h', onExceed: 'alert' };
  doc.roles.exporter = { inherits: ['admin'], readBudget: { customers: 5, window: '1h', onExceed: 'block' } };
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-budget-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: writeTestPolicy() });
  ids = (await t.database.query(`select id from customers where privacy_level = 'standard' order by id`)).rows.map((r) => r.id);
});
afterAll(() => t?.close());

const get = async (url: string, sub: string, ...roles: string[]) =>
  t.http({ url, headers: { authorization: `Bearer ${await t.token(sub, ...roles)}` } });

const eventsOf = async (sub: string, action: string) =>
  (await t.database.query('select * from audit_events where actor_sub = $1 and action = $2 order by seq', [sub, action])).rows;

describe('read budgets', () => {
  it('stops an agent paging through the base at its budget with 429 and Retry-After, and no data', async () => {
    const page1 = await get('/v1/customers?limit=2', 'alice', 'agent');
    const page2 = await get(`/v1/customers?limit=2&cursor=${page1.json().nextCursor}`, 'alice', 'agent');
    expect([page1.statusCode, page2.statusCode]).toEqual([200, 200]);
    // Rereading a customer already counted costs nothing.
    expect((await get(`/v1/customers/${page1.json().items[0].id}`, 'alice', 'agent')).statusCode).toBe(200);

    const page3 = await get(`/v1/customers?limit=2&cursor=${page2.json().nextCursor}`, 'alice', 'agent');
    expect(page3.statusCode).toBe(429);
    expect(page3.headers['content-type']).toContain('application/problem+json');
    const body = page3.json();
    expect(body).toMatchObject({ code: 'BUDGET_EXCEEDED', status: 429 });
    expect(body.detail).toMatch(/^Your read budget of 5 customers per 1h is used up; retry after \d+ seconds\.$/);
    expect(body.items).toBeUndefined();
    expect(Number(page3.headers['retry-after'])).toBeGreaterThan(3500);
    expect(Number(page3.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(body.retryAfter).toBe(Number(page3.headers['retry-after']));

    // One more customer still fits (5 of 5); the sixth does not, even read singly.
    const fifth = ids.find((id) => !JSON.stringify([page1.json(), page2.json()]).includes(id))!;
    expect((await get(`/v1/customers/${fifth}`, 'alice', 'agent')).statusCode).toBe(200);
    const sixth = ids.find((id) => id !== fifth && !JSON.stringify([page1.json(), page2.json()]).includes(id))!;
    const refused = await get(`/v1/customers/${sixth}`, 'alice', 'agent');
    expect(refused.statusCode).toBe(429);
    expect(refused.body).not.toMatch(/@example|\+39/);

    const [anomaly, ...more] = await eventsOf('alice', 'anomaly.bulk_access');
    expect(more).toHaveLength(0); // once per crossing, not once per refused request
    expect(anomaly).toMatchObject({
      outcome: 'denied',
      resource_type: 'Customer',
      reason: 'Read budget of 5 customers per 1h exceeded.',
      details: { budget: 5, window: '1h', count: 6, onExceed: 'block' },
    });
    const denied = (await eventsOf('alice', 'list')).filter((e) => e.outcome === 'denied');
    expect(denied).toHaveLength(1);
    expect(denied[0].reason).toBe('Read budget exceeded.');
  });

  it('stops GraphQL too, with extensions.code, counting the same history', async () => {
    const query = 'query($after: String) { customers(first: 2, after: $after) { nodes { id } pageInfo { endCursor } } }';
    const token = await t.token('bob', 'agent');
    const first = await graphql(t.app, token, query);
    const second = await graphql(t.app, token, query, { after: first.body.data!.customers.pageInfo.endCursor });
    expect(second.body.errors).toBeUndefined();
    const third = await graphql(t.app, token, query, { after: second.body.data!.customers.pageInfo.endCursor });
    expect(third.body.data?.customers ?? null).toBeNull();
    expect(third.body.errors![0].extensions).toMatchObject({ code: 'BUDGET_EXCEEDED', retryAfter: expect.any(Number) });
    // REST shares the count: bob's budget is spent there as well.
    expect((await get('/v1/customers?limit=2', 'bob', 'agent')).statusCode).toBe(200); // the same 2 as page one
    expect((await get('/v1/customers?limit=6', 'bob', 'agent')).statusCode).toBe(429);
    expect(await eventsOf('bob', 'anomaly.bulk_access')).toHaveLength(1);
  });

  it('lets data through under an alert budget and records the anomaly once', async () => {
    const res = await get('/v1/customers?limit=5', 'dora', 'assistant');
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(5);
    expect((await get('/v1/customers?limit=8', 'dora', 'assistant')).statusCode).toBe(200);
    const [anomaly, ...more] = await eventsOf('dora', 'anomaly.bulk_access');
    expect(more).toHaveLength(0);
    expect(anomaly).toMatchObject({ outcome: 'allowed', details: { budget: 3, window: '1h', count: 5, onExceed: 'alert' } });
  });

  it('counts exports and refuses one that would cross the budget', async () => {
    const res = await get('/v1/customers/export?format=csv', 'xena', 'exporter');
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('BUDGET_EXCEEDED');
    expect(await eventsOf('xena', 'export')).toEqual([expect.objectContaining({ outcome: 'denied', resource_ids: [] })]);
  });

  it('gives a principal holding an unbudgeted role no limit', async () => {
    const res = await get('/v1/customers?limit=20', 'frank', 'agent', 'manager');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.length).toBeGreaterThan(5);
    expect(await eventsOf('frank', 'anomaly.bulk_access')).toHaveLength(0);
  });

  it('puts the anomaly in the audit feed', async () => {
    const token = await t.token('eve', 'auditor');
    const seen: Array<{ action: string; actor: { sub: string }; details: unknown }> = [];
    for (let after = '', page = 0; page < 50; page++) {
      const res = await t.http({ url: `/v1/audit/events?limit=100${after ? `&after=${after}` : ''}`, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      const { items, nextCursor } = res.json();
      seen.push(...items);
      if (items.length === 0) break;
      after = nextCursor;
    }
    const anomalies = seen.filter((e) => e.action === 'anomaly.bulk_access');
    expect(anomalies.map((e) => e.actor.sub).sort()).toEqual(['alice', 'bob', 'dora', 'xena']);
    expect(anomalies.find((e) => e.actor.sub === 'alice')!.details).toMatchObject({ budget: 5, window: '1h' });
  });
});

describe('the per-actor report after a scrape', () => {
  it('shows the anomaly, the refused requests and the customers read', async () => {
    const res = await t.http({ url: '/v1/audit/report?actor=alice', headers: { authorization: `Bearer ${await t.token('eve', 'auditor')}` } });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report.customers.count).toBe(5);
    expect(report.denials).toBe(3); // the anomaly (block), the refused page, the refused read
    expect(report.anomalies).toEqual([expect.objectContaining({ action: 'anomaly.bulk_access', details: expect.objectContaining({ budget: 5, count: 6 }) })]);
  });
});

describe('re-reads of customers just counted', () => {
  let counted: TestApp;
  let budgetCalls = 0;
  beforeAll(async () => {
    counted = await startTestApp({ POLICY_FILE: writeTestPolicy() }, { onStatement: (text) => void (/^\s*select fieldguard_count_and_record_reads\(/.test(text) && budgetCalls++) });
  });
  afterAll(() => counted?.close());
  const read = async (url: string, sub: string) => counted.http({ url, headers: { authorization: `Bearer ${await counted.token(sub, 'agent')}` } });

  it('skip the per-person count for a customer read moments ago, and count a new one', async () => {
    const [first, second] = (await counted.database.query(`select id from customers where privacy_level = 'standard' order by id limit 2`)).rows.map((r) => r.id);
    expect((await read(`/v1/customers/${first}`, 'erin')).statusCode).toBe(200);
    expect(budgetCalls).toBe(1);
    for (let i = 0; i < 3; i++) expect((await read(`/v1/customers/${first}`, 'erin')).statusCode).toBe(200);
    expect(budgetCalls).toBe(1);
    // Another person's read of the same customer is theirs to count.
    expect((await read(`/v1/customers/${first}`, 'frank')).statusCode).toBe(200);
    expect(budgetCalls).toBe(2);
    expect((await read(`/v1/customers/${second}`, 'erin')).statusCode).toBe(200);
    expect(budgetCalls).toBe(3);
  });

  it('are counted in full under another budget: the same person with a token of another role', async () => {
    const [id] = (await counted.database.query(`select id from customers where privacy_level = 'standard' order by id limit 1`)).rows.map((r) => r.id);
    const as = async (role: string) => counted.http({ url: `/v1/customers/${id}`, headers: { authorization: `Bearer ${await counted.token('hana', role)}` } });
    const before = budgetCalls;
    expect((await as('agent')).statusCode).toBe(200);
    expect((await as('agent')).statusCode).toBe(200);
    expect(budgetCalls).toBe(before + 1);
    expect((await as('assistant')).statusCode).toBe(200);
    expect(budgetCalls).toBe(before + 2);
  });

  it('never let a caller past the budget: a page with one uncounted customer is counted in full', async () => {
    const page = async (cursor?: string) => read(`/v1/customers?limit=2${cursor ? `&cursor=${cursor}` : ''}`, 'gina');
    const one = await page();
    const two = await page(one.json().nextCursor);
    expect([one.statusCode, two.statusCode]).toEqual([200, 200]);
    expect((await page()).statusCode).toBe(200); // 4 of 5, all counted moments ago
    const three = await page(two.json().nextCursor);
    expect(three.statusCode).toBe(429); // 6 of 5
    expect((await page()).statusCode).toBe(200); // still the same 4
  });
});

describe('what counts against a budget (over a real socket)', () => {
  const bearer = async (sub: string, ...roles: string[]) => ({ authorization: `Bearer ${await t.token(sub, ...roles)}` });
  const patch = async (id: string, sub: string, payload: object) =>
    t.http({ method: 'PATCH', url: `/v1/customers/${id}`, headers: await bearer(sub, 'agent'), payload });
  const report = async (actor: string) => (await get(`/v1/audit/report?actor=${encodeURIComponent(actor)}`, 'eve', 'auditor')).json();

  it('an update answers with the record, so it counts; over budget it is refused and nothing is written', async () => {
    // Five updates fill the agent's budget of 5; the sixth customer is not changed.
    for (const id of ids.slice(0, 5)) expect((await patch(id, 'uma', { notes: 'updated by uma' })).statusCode).toBe(200);
    const sixth = await patch(ids[5]!, 'uma', { notes: 'over budget' });
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json()).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(sixth.body).not.toMatch(/@example|\+39/);
    const { rows } = await t.database.query('select notes from customers where id = $1', [ids[5]]);
    expect(rows[0].notes).not.toBe('over budget');
    // GraphQL's updateCustomer takes the same path.
    const gql = await graphql(t.app, await t.token('uma', 'agent'), 'mutation($id: ID!) { updateCustomer(id: $id, input: { notes: "x" }) { id phone } }', { id: ids[6] });
    expect(gql.body.data?.updateCustomer ?? null).toBeNull();
    expect(gql.body.errors?.[0].extensions.code).toBe('BUDGET_EXCEEDED');
    // The per-person report counts the customers the updates showed.
    expect((await report('uma')).customers).toMatchObject({ count: 5 });
  });

  it('a role that reads no customers does not lift the budget of one that does', async () => {
    const both = async (url: string) => t.http({ url, headers: await bearer('vera', 'agent', 'auditor') });
    const first = await both('/v1/customers?limit=5');
    expect(first.statusCode).toBe(200);
    const next = await both(`/v1/customers?limit=2&cursor=${first.json().nextCursor}`);
    expect(next.statusCode).toBe(429);
  });

  it('counts a customer once however its UUID is cased, and the trail and the report find every spelling', async () => {
    const id = ids[0]!;
    const spellings = [id, id.toUpperCase(), id.slice(0, 8).toUpperCase() + id.slice(8)];
    for (const spelled of spellings) expect((await get(`/v1/customers/${spelled}`, 'walt', 'agent')).statusCode).toBe(200);
    const gql = await graphql(t.app, await t.token('walt', 'agent'), 'query($id: ID!) { customer(id: $id) { id } }', { id: id.toUpperCase() });
    expect(gql.body.data?.customer.id).toBe(id);
    const reads = await eventsOf('walt', 'read');
    expect(reads.map((e) => e.resource_ids)).toEqual([[id], [id], [id], [id]]);
    expect((await report('walt')).customers).toMatchObject({ count: 1, ids: [id] });
    const { rows } = await t.database.query('select count(*)::int as n from customer_reads where actor_sub = $1', ['walt']);
    expect(rows[0].n).toBe(1);
    // "Who touched this customer", asked with the upper-case spelling, finds them all.
    const feed = (await get(`/v1/audit/events?actor=walt&resourceId=${id.toUpperCase()}`, 'eve', 'auditor')).json();
    expect(feed.events ?? feed.items).toHaveLength(4);
  });

  it('filters the feed and the report by any sub a token may carry (256 characters)', async () => {
    const longSub = `l${'o'.repeat(253)}ng`;
    expect(longSub).toHaveLength(256);
    expect((await get(`/v1/customers/${ids[0]}`, longSub, 'agent')).statusCode).toBe(200);
    const feed = await get(`/v1/audit/events?actor=${longSub}`, 'eve', 'auditor');
    expect(feed.statusCode).toBe(200);
    expect(JSON.stringify(feed.json())).toContain(longSub);
    expect((await get(`/v1/audit/report?actor=${longSub}`, 'eve', 'auditor')).statusCode).toBe(200);
    expect((await get(`/v1/audit/events?actor=${longSub}x`, 'eve', 'auditor')).statusCode).toBe(400);
  });
});

describe('what else counts against a budget (review findings)', () => {
  const bearer = async (sub: string) => ({ authorization: `Bearer ${await t.token(sub, 'agent')}` });
  /** Fills `sub`'s budget of 5 with the first five customers. */
  const exhaust = async (sub: string) => {
    for (const id of ids.slice(0, 5)) expect((await get(`/v1/customers/${id}`, sub, 'agent')).statusCode).toBe(200);
  };
  const invoiceOf = async (customerId: string) => {
    const { rows } = await t.database.query(
      `insert into documents (customer_id, category, title, content_type, size_bytes, sha256, created_by) values ($1, 'invoice', 'T', 'text/plain', 2, repeat('a', 64), 'root') returning id`,
      [customerId],
    );
    await t.database.query(`insert into document_chunks (document_id, seq, bytes) values ($1, 0, 'ok'::bytea)`, [rows[0].id]);
    return rows[0].id as string;
  };

  it("a customer's documents count as reading that customer: list, metadata and download", async () => {
    const other = ids[6]!;
    const doc = await invoiceOf(other);
    await exhaust('xena');
    for (const url of [`/v1/customers/${other}/documents`, `/v1/documents/${doc}`, `/v1/documents/${doc}/content`]) {
      const res = await get(url, 'xena', 'agent');
      expect(res.statusCode).toBe(429);
      expect(res.body).not.toContain('ok');
    }
    const gql = await graphql(t.app, await t.token('xena', 'agent'), 'query($id: ID!) { document(id: $id) { title } }', { id: doc });
    expect(gql.body.errors?.[0].extensions.code).toBe('BUDGET_EXCEEDED');
    // Within the budget they answer, and an upper-case customer id lists the same documents.
    // (The demo data may give this customer documents of its own.)
    const listed = await get(`/v1/customers/${other.toUpperCase()}/documents`, 'yuri', 'agent');
    const lower = await get(`/v1/customers/${other}/documents`, 'yuri', 'agent');
    expect(listed.json().items.map((d: { id: string }) => d.id)).toContain(doc);
    expect(listed.json().items).toEqual(lower.json().items);
  });

  it('a booking written over budget is answered without its customer, not refused after it was saved', async () => {
    await exhaust('zack');
    const booking = { customerId: ids[7], staffSub: 'zack', service: 'Cut', startsAt: '2031-01-02T10:00:00Z', endsAt: '2031-01-02T11:00:00Z' };
    const created = await t.http({ method: 'POST', url: '/v1/bookings', headers: await bearer('zack'), payload: booking });
    expect(created.statusCode).toBe(201);
    expect(created.json().customer).toBeUndefined();
    expect(created.json()._access.withheld).toContain('customer');
    const { rows } = await t.database.query(`select count(*)::int as n from bookings where staff_sub = 'zack'`);
    expect(rows[0].n).toBe(1);
  });

  it('a refused update uses up no budget', async () => {
    const res = await t.http({ method: 'PATCH', url: `/v1/customers/${ids[0]}`, headers: await bearer('quinn'), payload: { fullName: 'Renamed By Quinn' } });
    expect(res.statusCode).toBe(403);
    const { rows } = await t.database.query(`select count(*)::int as n from customer_reads where actor_sub = 'quinn'`);
    expect(rows[0].n).toBe(0);
  });
});
