import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { httpFor } from '../helpers/http-client.js';
import { captureLogs, graphql, startTestApp, testAppConfig, type TestApp } from '../helpers/test-app.js';

// A page cursor must never carry a value its holder cannot read in clear, under any
// policy. Here a stylist reads a booking's time in clear on her own bookings and masked
// on the others, and a temp reads neither times nor ids: every cursor either is handed
// is checked for every value it must not be able to read, in any spelling.

const POLICY = `
resources:
  Customer:
    fields: { id: { class: system }, fullName: { class: identity }, privacyLevel: { class: system }, assignees: { class: system } }
  Booking:
    fields: { id: { class: system }, customerId: { class: system }, staffSub: { class: system }, service: { class: service }, startsAt: { class: schedule, mask: redact } }
roles:
  stylist:
    can:
      - { actions: [read], subject: Customer, fields: [id, fullName] }
      - { actions: [read], subject: Booking, fields: [id, customerId, staffSub, service] }
      - { actions: [read_masked], subject: Booking, fields: [startsAt] }
      - { actions: [read], subject: Booking, fields: [startsAt], when: { staffSub: $principal.sub } }
  temp:
    can:
      - { actions: [read], subject: Customer, fields: [fullName] }
      - { actions: [read], subject: Booking, fields: [service, staffSub] }
`;

let t: TestApp;
let giulia: string;
let policyFile: string;
type Row = { id: string; startsAt: string; staffSub: string };
let bookings: Row[];

beforeAll(async () => {
  policyFile = join(mkdtempSync(join(tmpdir(), 'fieldguard-cursors-')), 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  t = await startTestApp({ POLICY_FILE: policyFile });
  const { rows: customers } = await t.database.query(`select id, full_name from customers order by full_name`);
  giulia = customers.find((c) => c.full_name === 'Giulia Marchetti').id;
  // Alternating staff on one customer, and a few on others, hours apart.
  for (const [i, customer] of [giulia, giulia, giulia, giulia, customers[1].id, customers[2].id].entries()) {
    await t.database.query(
      `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at) values ($1, $2, 'Cut', now() + make_interval(hours => $3), now() + make_interval(hours => $3 + 1))`,
      [customer, i % 2 === 0 ? 'sara' : 'marco', 5 * i + 1],
    );
  }
  const { rows } = await t.database.query(`select id, starts_at, staff_sub from bookings order by starts_at, id`);
  bookings = rows.map((r) => ({ id: r.id, startsAt: r.starts_at.toISOString(), staffSub: r.staff_sub }));
}, 120_000);
afterAll(() => t?.close());

const auth = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });
/** Every spelling of a value a cursor could carry: ISO text and epoch milliseconds. */
const spellings = (iso: string) => [iso, String(Date.parse(iso))];
/** What a client can read out of a cursor: the text itself and its base64url payload. */
const readable = (cursor: string) => [cursor, Buffer.from(cursor, 'base64url').toString('utf8'), Buffer.from(cursor, 'base64url').toString('latin1')].join('\n');
const revealed = (cursors: string[], secrets: string[]) => cursors.flatMap((c) => secrets.filter((s) => readable(c).includes(s)));

/** Walks a REST list one row per page; returns the rows and every cursor handed out. */
async function walkRest(url: string, headers: Record<string, string>) {
  const items: Array<Record<string, unknown>> = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await t.http({ url: `${url}${url.includes('?') ? '&' : '?'}limit=1${cursor ? `&cursor=${cursor}` : ''}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    items.push(...res.json().items);
    cursor = res.json().nextCursor;
    if (cursor) cursors.push(cursor);
  } while (cursor);
  return { items, cursors };
}

/** Walks a GraphQL connection one node per page; `pick` finds the connection in `data`. */
async function walkGraphql(token: string, query: string, pick: (data: any) => any, variables: Record<string, unknown> = {}) {
  const nodes: unknown[] = [];
  const cursors: string[] = [];
  let after: string | null = null;
  for (;;) {
    const { body } = await graphql(t.app, token, query, { ...variables, after });
    expect(body.errors).toBeUndefined();
    const page = pick(body.data);
    nodes.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) return { nodes, cursors };
    after = page.pageInfo.endCursor;
    cursors.push(after!);
  }
}

describe('a sort field clear on some records and masked on others', () => {
  // sara reads the times of her own bookings; marco's are masked for her.
  const maskedForSara = () => bookings.filter((b) => b.staffSub !== 'sara').flatMap((b) => spellings(b.startsAt));

  it('REST booking cursors carry no time sara reads masked, and still page through every booking once', async () => {
    const { items, cursors } = await walkRest('/v1/bookings', await auth('sara', 'stylist'));
    expect(items.map((b) => b.id)).toEqual(bookings.map((b) => b.id));
    expect(items.filter((b) => b.startsAt === '[REDACTED]').length).toBeGreaterThan(0);
    expect(cursors.length).toBe(bookings.length - 1);
    expect(revealed(cursors, maskedForSara())).toEqual([]);
  });

  it('GraphQL cursors, top-level and nested under a customer, carry none either', async () => {
    const token = await t.token('sara', 'stylist');
    const top = await walkGraphql(token, 'query($after: String) { bookings(first: 1, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }', (d) => d.bookings);
    expect(top.nodes).toHaveLength(bookings.length);
    const nested = await walkGraphql(
      token,
      'query($id: ID!, $after: String) { customer(id: $id) { bookings(first: 1, after: $after) { nodes { id startsAt } pageInfo { endCursor hasNextPage } } } }',
      (d) => d.customer.bookings,
      { id: giulia },
    );
    expect(nested.nodes).toHaveLength(4);
    expect(revealed([...top.cursors, ...nested.cursors], maskedForSara())).toEqual([]);
  });
});

describe('a sort field and an id that are withheld', () => {
  it('booking and customer cursors carry neither times nor ids the temp cannot read (REST and GraphQL)', async () => {
    const headers = await auth('tom', 'temp');
    const bookingPages = await walkRest('/v1/bookings', headers);
    expect(bookingPages.items).toHaveLength(bookings.length);
    expect(bookingPages.items.every((b) => !('id' in b) && !('startsAt' in b))).toBe(true);
    const customerPages = await walkRest('/v1/customers', headers);
    const { rows } = await t.database.query(`select id from customers`);
    expect(customerPages.items).toHaveLength(rows.length);
    const gql = await walkGraphql(headers.authorization.slice(7), 'query($after: String) { customers(first: 1, after: $after) { nodes { fullName } pageInfo { endCursor hasNextPage } } }', (d) => d.customers);
    const secrets = [...bookings.flatMap((b) => [b.id, ...spellings(b.startsAt)]), ...rows.map((r) => r.id as string)];
    expect(revealed([...bookingPages.cursors, ...customerPages.cursors, ...gql.cursors], secrets)).toEqual([]);
  });
});

describe('sealed cursors', () => {
  it('refuse a changed byte, another list or another sort order with INVALID_CURSOR, through both doors', async () => {
    const headers = await auth('sara', 'stylist');
    const cursor = (await t.http({ url: '/v1/bookings?limit=1', headers })).json().nextCursor as string;
    const flipped = `${cursor.slice(0, 20)}${cursor[20] === 'A' ? 'B' : 'A'}${cursor.slice(21)}`;
    for (const url of [`/v1/bookings?cursor=${flipped}`, `/v1/customers?cursor=${cursor}`]) {
      const res = await t.http({ url, headers });
      expect(res.json().code, url).toBe('INVALID_CURSOR');
    }
    const byName = (await t.http({ url: '/v1/customers?sort=fullName&limit=1', headers })).json().nextCursor;
    expect((await t.http({ url: `/v1/customers?sort=-fullName&cursor=${byName}`, headers })).json().code).toBe('INVALID_CURSOR');
    const gql = await graphql(t.app, headers.authorization.slice(7), 'query($a: String) { bookings(first: 1, after: $a) { nodes { id } } }', { a: flipped });
    expect(gql.body.errors?.[0].extensions.code).toBe('INVALID_CURSOR');
  });

  it('work on another instance of the service on the same database', async () => {
    const headers = await auth('sara', 'stylist');
    const first = (await t.http({ url: '/v1/bookings?limit=2', headers })).json();
    const other = await buildApp(testAppConfig(t.database.url, t.idp, { POLICY_FILE: policyFile, DEMO_DATA: 'false', LOG_LEVEL: 'silent' }), { logStream: captureLogs().logStream, poolMax: 2 });
    try {
      const next = await httpFor(other)({ url: `/v1/bookings?limit=2&cursor=${first.nextCursor}`, headers });
      expect(next.statusCode).toBe(200);
      expect(next.json().items.map((b: { id: string }) => b.id)).toEqual(bookings.slice(2, 4).map((b) => b.id));
    } finally {
      await other.close();
    }
  });
});
