import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// Bookings under the customer policy: the viewing window, the parent customer's
// visibility, the embedded customer's masks, reception's write limits, and batching.

let t: TestApp;
let giulia: string;
let vittoria: string;
const ids: Record<string, string> = {};
const DAY = 86_400_000;
const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();

async function addBooking(name: string, customerId: string, days: number) {
  const { rows } = await t.database.query(
    `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at, notes) values ($1, 'sara', 'Haircut', $2, $3, 'Bring the voucher') returning id`,
    [customerId, at(days), new Date(Date.parse(at(days)) + 3_600_000).toISOString()],
  );
  ids[name] = rows[0].id;
}

beforeAll(async () => {
  // One audit statement per event: with group commit, events of concurrent resolvers may
  // share a statement or not depending on timing, and the batching test counts statements.
  // Grants are judged by a clock that stands still here: a person's grants are read once,
  // not again whenever a second has passed, so statement counts do not depend on timing.
  const frozen = Date.now();
  t = await startTestApp({ AUDIT_GROUP_COMMIT: 'false' }, { clock: () => frozen });
  const { rows } = await t.database.query(`select id, full_name from customers`);
  giulia = rows.find((r) => r.full_name === 'Giulia Marchetti').id;
  vittoria = rows.find((r) => r.full_name === 'Vittoria Colonna').id;
  await addBooking('soon', giulia, 2);
  await addBooking('recent', giulia, -10);
  await addBooking('old', giulia, -60);
  await addBooking('confidential', vittoria, 1);
});
afterAll(() => t?.close());

const get = async (url: string, sub: string, role: string) => t.http({ url, headers: { authorization: `Bearer ${await t.token(sub, role)}` } });

describe('who sees which booking', () => {
  it('reception sees the last 30 days and the future, with the customer masked as everywhere', async () => {
    const list = (await get(`/v1/bookings?customerId=${giulia}`, 'dora', 'assistant')).json();
    expect(list.items.map((b: { id: string }) => b.id)).toEqual([ids.recent, ids.soon]);
    const one = (await get(`/v1/bookings/${ids.soon}`, 'dora', 'assistant')).json();
    expect(one.customer.phone).toBe('+39 XXX XXX XXXX');
    expect(one.customer._access.masked).toContain('phone');
    expect(one).not.toHaveProperty('notes');
    expect(one._access.withheld).toEqual(['notes']);
    expect((await get(`/v1/bookings/${ids.old}`, 'dora', 'assistant')).statusCode).toBe(404);
  });

  it('an agent sees every booking of the customers it can see, and none of the others', async () => {
    const bob = (await get('/v1/bookings?limit=100', 'bob', 'agent')).json();
    // Of this file's own bookings (the demo data has others).
    const ours = new Set(Object.values(ids));
    expect(bob.items.map((b: { id: string }) => b.id).filter((id: string) => ours.has(id)).sort()).toEqual([ids.old, ids.recent, ids.soon].sort());
    expect((await get(`/v1/bookings/${ids.confidential}`, 'bob', 'agent')).statusCode).toBe(404);
    expect((await get(`/v1/bookings/${ids.confidential}`, 'alice', 'agent')).json().customer.fullName).toBe('Vittoria Colonna');
  });

  it('filters by time and pages with a cursor', async () => {
    const from = encodeURIComponent(at(-30));
    const res = (await get(`/v1/bookings?customerId=${giulia}&from=${from}&limit=1`, 'carol', 'manager')).json();
    expect(res.items.map((b: { id: string }) => b.id)).toEqual([ids.recent]);
    const next = (await get(`/v1/bookings?customerId=${giulia}&from=${from}&limit=1&cursor=${res.nextCursor}`, 'carol', 'manager')).json();
    expect(next.items.map((b: { id: string }) => b.id)).toEqual([ids.soon]);
    expect((await get('/v1/bookings?from=yesterday', 'carol', 'manager')).statusCode).toBe(400);
  });

  it('GraphQL gives the same answers', async () => {
    const token = await t.token('dora', 'assistant');
    const { body } = await graphql(t.app, token, `query($id: ID!) { booking(id: $id) { id notes access { withheld } customer { phone } } }`, { id: ids.soon });
    expect(body.data!.booking).toEqual({ id: ids.soon, notes: null, access: { withheld: ['notes'] }, customer: { phone: '+39 XXX XXX XXXX' } });
    const old = await graphql(t.app, token, `query($id: ID!) { booking(id: $id) { id } }`, { id: ids.old });
    expect(old.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
  });
});

describe('reception books but does not change or cancel', () => {
  const booking = () => ({ customerId: giulia, staffSub: 'sara', service: 'Colour', startsAt: at(3), endsAt: at(3.1) });

  it('creates (REST and GraphQL) and is refused update and delete with the policy reason', async () => {
    const headers = { authorization: `Bearer ${await t.token('dora', 'assistant')}` };
    const created = await t.http({ method: 'POST', url: '/v1/bookings', headers, payload: booking() });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    for (const res of [
      await t.http({ method: 'PATCH', url: `/v1/bookings/${id}`, headers, payload: { status: 'cancelled' } }),
      await t.http({ method: 'DELETE', url: `/v1/bookings/${id}`, headers }),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().detail).toBe('Reception may book appointments but not change or cancel them.');
    }
    const gql = await graphql(t.app, headers.authorization.slice(7), `mutation($id: ID!) { updateBooking(id: $id, input: { status: "done" }) { id } }`, { id });
    expect(gql.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const made = await graphql(t.app, headers.authorization.slice(7), `mutation($i: CreateBookingInput!) { createBooking(input: $i) { service } }`, { i: booking() });
    expect(made.body.data!.createBooking.service).toBe('Colour');
  });

  it('cannot book for a customer it cannot see, nor send notes it may not write', async () => {
    const headers = { authorization: `Bearer ${await t.token('dora', 'assistant')}` };
    const hidden = await t.http({ method: 'POST', url: '/v1/bookings', headers, payload: { ...booking(), customerId: vittoria } });
    expect(hidden.statusCode).toBe(404);
    const notes = await t.http({ method: 'POST', url: '/v1/bookings', headers, payload: { ...booking(), notes: 'x' } });
    expect(notes.json().code).toBe('FIELD_NOT_WRITABLE');
    const backwards = await t.http({ method: 'POST', url: '/v1/bookings', headers, payload: { ...booking(), endsAt: at(2) } });
    expect(backwards.statusCode).toBe(400);
  });

  it('an agent reschedules; only managers and admins delete', async () => {
    const agent = { authorization: `Bearer ${await t.token('bob', 'agent')}` };
    const moved = await t.http({ method: 'PATCH', url: `/v1/bookings/${ids.recent}`, headers: agent, payload: { status: 'done' } });
    expect(moved.json().status).toBe('done');
    expect((await t.http({ method: 'DELETE', url: `/v1/bookings/${ids.recent}`, headers: agent })).statusCode).toBe(403);
    const manager = { authorization: `Bearer ${await t.token('carol', 'manager')}` };
    expect((await t.http({ method: 'DELETE', url: `/v1/bookings/${ids.recent}`, headers: manager })).statusCode).toBe(204);
  });
});

describe('nested lists are batched', () => {
  it('50 customers with their bookings and the bookings customers cost as many statements as 5', async () => {
    const { rows } = await t.database.query(`insert into customers (full_name) select 'Batch ' || g from generate_series(1, 50) g returning id`);
    for (const r of rows) {
      await t.database.query(`insert into bookings (customer_id, staff_sub, service, starts_at, ends_at) values ($1, 's', 'Cut', now(), now() + interval '1 hour'), ($1, 's', 'Dye', now() + interval '1 day', now() + interval '25 hours')`, [r.id]);
    }
    const token = await t.token('carol', 'manager');
    const query = (n: number) => `{ customers(first: ${n}, filter: [{ field: "fullName", equals: "Batch 7" }]) { nodes { id } } all: customers(first: ${n}) { nodes { id bookings(first: 5) { nodes { id customer { phone } } } documents { id } } } }`;
    const cost = async (n: number) => {
      const before = t.statements();
      const { body } = await graphql(t.app, token, query(n));
      expect(body.errors).toBeUndefined();
      return { statements: t.statements() - before, bookings: body.data!.all.nodes.flatMap((c: { bookings: { nodes: unknown[] } }) => c.bookings.nodes).length };
    };
    await cost(5); // the person's first request reads what is known of them once
    const small = await cost(5);
    const large = await cost(50);
    expect(large.bookings).toBeGreaterThan(60);
    expect(large.statements).toBe(small.statements);
  });
});
