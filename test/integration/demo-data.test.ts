import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEMO_BOOKINGS } from '../../src/data/demo-bookings.js';
import { DEMO_DOCUMENTS } from '../../src/data/demo-documents.js';
import { captureLogs, graphql, startTestApp, testAppConfig, type TestApp } from '../helpers/test-app.js';

// The demo data a first `npm start` loads: customers with bookings (past, recent and
// upcoming, across staff) and documents of every category, stored as uploads are, and
// shown to each role as the policy says. Loaded only into an empty database.

let t: TestApp;
const DAY = 86_400_000;
type Booking = { id: string; startsAt: string; staffSub: string; status: string; customerId: string };

beforeAll(async () => {
  t = await startTestApp();
}, 120_000);
afterAll(() => t?.close());

const as = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });
const idOf = async (name: string) => (await t.database.query(`select id from customers where full_name = $1`, [name])).rows[0].id as string;

describe('demo bookings', () => {
  it('are past, recent and upcoming, across staff, and each role sees what the policy says (REST and GraphQL)', async () => {
    const all = (await t.http({ url: '/v1/bookings?limit=100', headers: await as('root', 'admin') })).json().items as Booking[];
    expect(all).toHaveLength(DEMO_BOOKINGS.length);
    const age = (b: Booking) => (Date.now() - Date.parse(b.startsAt)) / DAY;
    expect(all.some((b) => age(b) > 30) && all.some((b) => age(b) > 0 && age(b) <= 30) && all.some((b) => age(b) < 0)).toBe(true);
    expect(new Set(all.map((b) => b.staffSub)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(all.map((b) => b.status))).toEqual(new Set(['done', 'booked', 'cancelled']));

    // Reception: the last 30 days and ahead only, and not the confidential customer's, through both doors.
    const edoardo = await idOf('Edoardo Fontana');
    const reception = (await t.http({ url: '/v1/bookings?limit=100', headers: await as('dora', 'assistant') })).json().items as Booking[];
    expect(reception.map((b) => b.id)).toEqual(all.filter((b) => age(b) <= 30 && b.customerId !== edoardo).map((b) => b.id));
    const gql = await graphql(t.app, await t.token('dora', 'assistant'), '{ bookings(first: 100) { nodes { id notes } } }');
    expect(gql.body.data!.bookings.nodes.map((b: { id: string }) => b.id)).toEqual(reception.map((b) => b.id));

    // The confidential customer's bookings exist for bob, assigned to him, not for alice.
    const bob = (await t.http({ url: `/v1/bookings?customerId=${edoardo}`, headers: await as('bob', 'agent') })).json().items;
    expect(bob).toHaveLength(DEMO_BOOKINGS.filter((b) => b.customer === 'Edoardo Fontana').length);
    const alice = await graphql(t.app, await t.token('alice', 'agent'), '{ bookings(first: 100) { nodes { customerId } } }');
    expect(alice.body.data!.bookings.nodes.filter((b: { customerId: string }) => b.customerId === edoardo)).toEqual([]);
  });
});

describe('demo documents', () => {
  it('cover every category and download byte for byte, as uploads do: chunks in order, size and sha256 sealed', async () => {
    const admin = await as('root', 'admin');
    const { rows } = await t.database.query(`select d.id, d.size_bytes::int as size, d.sha256, array_agg(c.seq order by c.seq) as seqs, sum(length(c.bytes))::int as stored from documents d join document_chunks c on c.document_id = d.id group by d.id`);
    expect(rows).toHaveLength(DEMO_DOCUMENTS.length);
    for (const row of rows) {
      expect(row.seqs).toEqual(row.seqs.map((_: number, i: number) => i));
      expect(row.stored).toBe(row.size);
      const meta = (await t.http({ url: `/v1/documents/${row.id}`, headers: admin })).json();
      const down = await t.http({ url: `/v1/documents/${row.id}/content`, headers: admin });
      expect(down.statusCode).toBe(200);
      expect(createHash('sha256').update(down.rawPayload).digest('hex')).toBe(row.sha256);
      expect(down.headers.etag).toBe(`"${row.sha256}"`);
      expect(meta).toMatchObject({ sizeBytes: down.rawPayload.length, sha256: row.sha256 });
      if (meta.contentType === 'application/pdf') expectValidPdf(down.rawPayload);
    }
    const categories = new Set<string>();
    for (const name of new Set(DEMO_DOCUMENTS.map((d) => d.customer))) {
      const page = await t.http({ url: `/v1/customers/${await idOf(name)}/documents`, headers: admin });
      for (const d of page.json().items) categories.add(d.category);
    }
    expect([...categories].sort()).toEqual(['contract', 'identity', 'invoice', 'medical', 'other']);
  });

  it('show reception invoice titles it may not open, and agents nothing but invoices, through GraphQL too', async () => {
    const luca = await idOf('Luca Bernardi');
    const q = 'query($id: ID!) { customer(id: $id) { documentPage { nodes { id title category access { withheld } } } } }';
    const reception = await graphql(t.app, await t.token('dora', 'assistant'), q, { id: luca });
    const [invoice] = reception.body.data!.customer.documentPage.nodes;
    expect(invoice).toMatchObject({ title: 'Invoice 2026-031', category: 'invoice' });
    expect(invoice.access.withheld).toContain('content');
    expect((await t.http({ url: `/v1/documents/${invoice.id}/content`, headers: await as('dora', 'assistant') })).statusCode).toBe(403);
    const sofia = await idOf('Sofia Ricci'); // her only document is a contract
    expect((await t.http({ url: `/v1/customers/${sofia}/documents`, headers: await as('alice', 'agent') })).json().items).toEqual([]);
  });
});

describe('loading', () => {
  it('happens only into an empty database: a restart on the same one adds nothing', async () => {
    const count = async () => (await t.database.query(`select (select count(*)::int from customers) c, (select count(*)::int from bookings) b, (select count(*)::int from documents) d`)).rows[0];
    const before = await count();
    const again = await buildApp(testAppConfig(t.database.url, t.idp, { DEMO_DATA: 'true', LOG_LEVEL: 'silent' }), { logStream: captureLogs().logStream, poolMax: 2 });
    await again.close();
    expect(await count()).toEqual(before);
  });
});

/** The cross-reference table points at each object, and startxref at the table. */
function expectValidPdf(bytes: Buffer) {
  const text = bytes.toString('latin1');
  expect(text.startsWith('%PDF-1.4\n') && text.endsWith('%%EOF\n')).toBe(true);
  const xref = Number(/startxref\n(\d+)\n/.exec(text)![1]);
  expect(text.slice(xref, xref + 4)).toBe('xref');
  const offsets = [...text.slice(xref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  offsets.forEach((at, i) => expect(text.slice(at, at + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`));
}
