import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// The shared role-scenario table: each row runs through REST and GraphQL and must give
// the same answer through both doors. Expected values are written out by hand from the
// demo data (src/data/demo-data.ts), not computed by the code under test.

const ALL_FIELDS = ['id', 'fullName', 'email', 'phone', 'address', 'iban', 'taxId', 'notes', 'privacyLevel', 'assignees', 'marketingOptOut', 'createdAt', 'updatedAt'];
const CUSTOMER_FIELDS = `id fullName email phone address iban taxId notes privacyLevel assignees marketingOptOut createdAt updatedAt access { masked withheld }`;

interface Scenario {
  role: string;
  sub: string;
  /** Expected values for Giulia Marchetti; a field absent here must be withheld. */
  giulia: Record<string, unknown>;
  masked: string[];
  seesConfidential: boolean;
  listSize: number | 'forbidden';
}

const giuliaClear = {
  fullName: 'Giulia Marchetti',
  email: 'giulia.marchetti@example.com',
  phone: '+39 347 123 4567',
  address: 'Via Roma 12, 20121 Milano',
  iban: 'IT60X0542811101000000123456',
  taxId: 'MRCGLI85T50F205Z',
  notes: 'Prefers appointments after 17:00.',
  privacyLevel: 'standard',
  assignees: [],
  marketingOptOut: false,
};

const scenarios: Scenario[] = [
  { role: 'admin', sub: 'root', giulia: giuliaClear, masked: [], seesConfidential: true, listSize: 12 },
  {
    role: 'manager',
    sub: 'carol',
    giulia: { ...giuliaClear, iban: 'XXXXXXXXXXXXXXXXXXXXXXX3456', taxId: 'XXXXXXXXXXXX205Z' },
    masked: ['iban', 'taxId'],
    seesConfidential: false,
    listSize: 10,
  },
  {
    role: 'agent',
    sub: 'alice',
    giulia: {
      fullName: 'Giulia Marchetti',
      email: 'giulia.marchetti@example.com',
      phone: '+39 XXX XXX XXXX',
      notes: 'Prefers appointments after 17:00.',
      privacyLevel: 'standard',
      marketingOptOut: false,
    },
    masked: ['phone'],
    seesConfidential: true,
    listSize: 11,
  },
  {
    role: 'agent',
    sub: 'bob',
    giulia: {
      fullName: 'Giulia Marchetti',
      email: 'giulia.marchetti@example.com',
      phone: '+39 XXX XXX XXXX',
      notes: 'Prefers appointments after 17:00.',
      privacyLevel: 'standard',
      marketingOptOut: false,
    },
    masked: ['phone'],
    seesConfidential: false,
    listSize: 11,
  },
  {
    role: 'assistant',
    sub: 'dora',
    giulia: { fullName: 'Giulia Marchetti', email: 'g***@example.com', phone: '+39 XXX XXX XXXX' },
    masked: ['email', 'phone'],
    seesConfidential: false,
    listSize: 10,
  },
  { role: 'auditor', sub: 'eve', giulia: {}, masked: [], seesConfidential: false, listSize: 'forbidden' },
  { role: 'intern', sub: 'nobody', giulia: {}, masked: [], seesConfidential: false, listSize: 'forbidden' },
];

let t: TestApp;
let giuliaId: string;
let confidentialId: string;

beforeAll(async () => {
  t = await startTestApp();
  const { rows } = await t.database.query(`select id, full_name from customers`);
  giuliaId = rows.find((r) => r.full_name === 'Giulia Marchetti').id;
  confidentialId = rows.find((r) => r.full_name === 'Vittoria Colonna').id;
});
afterAll(() => t?.close());

// Fields every visible record shows in clear for the role, beyond the table above.
const systemClear: Record<string, string[]> = {
  admin: ['id', 'createdAt', 'updatedAt'],
  manager: ['id', 'createdAt', 'updatedAt'],
  agent: ['id', 'createdAt', 'updatedAt'],
  assistant: ['id', 'createdAt'],
};

describe.each(scenarios)('$role ($sub)', (s) => {
  const visible = Object.keys(s.giulia).length > 0;
  const shown = () => [...Object.keys(s.giulia), ...(systemClear[s.role] ?? [])];

  it('reads one customer with the expected clear, masked and withheld fields (REST)', async () => {
    const res = await t.http({ url: `/v1/customers/${giuliaId}`, headers: { authorization: `Bearer ${await t.token(s.sub, s.role)}` } });
    if (!visible) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
      return;
    }
    expect(res.statusCode).toBe(200);
    const body = res.json();
    for (const [field, value] of Object.entries(s.giulia)) expect(body[field], field).toEqual(value);
    const withheld = ALL_FIELDS.filter((f) => !shown().includes(f));
    for (const field of withheld) expect(body, field).not.toHaveProperty(field);
    expect(body._access.masked.sort()).toEqual([...s.masked].sort());
    expect(body._access.withheld.sort()).toEqual(withheld.sort());
  });

  it('gets the same values through GraphQL (withheld is null)', async () => {
    const token = await t.token(s.sub, s.role);
    const { body } = await graphql(t.app, token, `query($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`, { id: giuliaId });
    if (!visible) {
      expect(body.data?.customer).toBeNull();
      expect(body.errors?.[0].extensions.code).toBe('NOT_FOUND');
      return;
    }
    const rest = (await t.http({ url: `/v1/customers/${giuliaId}`, headers: { authorization: `Bearer ${token}` } })).json();
    const node = body.data!.customer;
    for (const field of ALL_FIELDS) expect(node[field], field).toEqual(rest[field] ?? null);
    expect(node.access).toEqual(rest._access);
  });

  it(`${s.seesConfidential ? 'sees' : 'gets 404 for'} the confidential customer, through both doors`, async () => {
    const token = await t.token(s.sub, s.role);
    const res = await t.http({ url: `/v1/customers/${confidentialId}`, headers: { authorization: `Bearer ${token}` } });
    const gql = await graphql(t.app, token, `query($id: ID!) { customer(id: $id) { fullName } }`, { id: confidentialId });
    if (s.seesConfidential) {
      expect(res.statusCode).toBe(200);
      expect(res.json().fullName).toBe('Vittoria Colonna');
      expect(gql.body.data!.customer.fullName).toBe('Vittoria Colonna');
    } else {
      expect(res.statusCode).toBe(404);
      // Same answer as for an id that does not exist at all: nothing hints at the record.
      const missing = await t.http({ url: '/v1/customers/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${token}` } });
      expect(missing.statusCode).toBe(404);
      const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
      expect(strip(res.json())).toEqual(strip(missing.json()));
      expect(gql.body.data?.customer).toBeNull();
      expect(gql.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
    }
  });

  it('lists exactly the customers it may see, through both doors', async () => {
    const token = await t.token(s.sub, s.role);
    const res = await t.http({ url: '/v1/customers?limit=100', headers: { authorization: `Bearer ${token}` } });
    const gql = await graphql(t.app, token, `{ customers(first: 100) { nodes { id fullName } pageInfo { hasNextPage endCursor } } }`);
    if (s.listSize === 'forbidden') {
      expect(res.statusCode).toBe(403);
      expect(gql.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
      return;
    }
    const items = res.json().items as Array<{ id: string; fullName: string }>;
    expect(items).toHaveLength(s.listSize);
    expect(items.some((c) => c.fullName === 'Vittoria Colonna')).toBe(s.seesConfidential);
    expect(gql.body.data!.customers.nodes.map((n: { id: string }) => n.id)).toEqual(items.map((c) => c.id));
    expect(res.json().nextCursor).toBeNull();
    expect(gql.body.data!.customers.pageInfo.hasNextPage).toBe(false);
  });
});

describe('pagination', () => {
  it('walks every visible customer exactly once with small pages, REST and GraphQL alike', async () => {
    const token = await t.token('carol', 'manager');
    const seen: string[] = [];
    let cursor: string | null = null as string | null;
    do {
      const res: { statusCode: number; json: () => any } = await t.http({ url: `/v1/customers?limit=3${cursor ? `&cursor=${cursor}` : ''}`, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((c: { id: string }) => c.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);

    const gqlSeen: string[] = [];
    let after: string | null = null;
    let more = true;
    while (more) {
      const { body } = await graphql(t.app, token, `query($after: String) { customers(first: 4, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }`, { after });
      gqlSeen.push(...body.data!.customers.nodes.map((n: { id: string }) => n.id));
      more = body.data!.customers.pageInfo.hasNextPage;
      after = body.data!.customers.pageInfo.endCursor;
    }
    expect(gqlSeen).toEqual(seen);
  });

  it('refuses a forged cursor and an out-of-range limit with 400', async () => {
    const headers = { authorization: `Bearer ${await t.token('carol', 'manager')}` };
    const forged = await t.http({ url: '/v1/customers?cursor=not-a-cursor', headers });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('INVALID_CURSOR');
    const big = await t.http({ url: '/v1/customers?limit=101', headers });
    expect(big.statusCode).toBe(400);
    expect(big.headers['content-type']).toContain('application/problem+json');
  });
});

// Bookings and documents of Giulia, by role: the same answer through REST and GraphQL.
// Seeded below: bookings 2 days ahead, 10 and 60 days ago; an invoice and a contract.
interface RecordScenario {
  role: string;
  sub: string;
  /** Giulia's bookings it sees, by seed name; null: the customer does not exist for it. */
  bookings: string[] | null;
  documents: string[] | null;
  opensInvoice: boolean;
}
const recordScenarios: RecordScenario[] = [
  { role: 'admin', sub: 'root', bookings: ['old', 'recent', 'soon'], documents: ['contract', 'invoice'], opensInvoice: true },
  { role: 'manager', sub: 'carol', bookings: ['old', 'recent', 'soon'], documents: ['contract', 'invoice'], opensInvoice: true },
  { role: 'agent', sub: 'bob', bookings: ['old', 'recent', 'soon'], documents: ['invoice'], opensInvoice: true },
  { role: 'assistant', sub: 'dora', bookings: ['recent', 'soon'], documents: ['invoice'], opensInvoice: false },
  { role: 'auditor', sub: 'eve', bookings: null, documents: null, opensInvoice: false },
  { role: 'intern', sub: 'nobody', bookings: null, documents: null, opensInvoice: false },
];
const seeded: Record<string, string> = {};

describe('bookings and documents by role', () => {
  beforeAll(async () => {
    for (const [name, days] of [['soon', 2], ['recent', -10], ['old', -60]] as const) {
      const { rows } = await t.database.query(
        `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at) values ($1, 'sara', 'Cut', now() + make_interval(days => $2), now() + make_interval(days => $2, hours => 1)) returning id`,
        [giuliaId, days],
      );
      seeded[rows[0].id] = name;
    }
    for (const category of ['invoice', 'contract']) {
      const { rows } = await t.database.query(
        `with d as (insert into documents (customer_id, category, title, content_type, size_bytes, sha256, created_by) values ($1, $2, 'T', 'text/plain', 2, repeat('a', 64), 'root') returning id),
           c as (insert into document_chunks (document_id, seq, bytes) select id, 0, 'ok'::bytea from d)
         select id from d`,
        [giuliaId, category],
      );
      seeded[rows[0].id] = category;
    }
  });

  describe.each(recordScenarios)('$role ($sub)', (s) => {
    it('sees the same bookings and documents of a customer through REST and GraphQL', async () => {
      const token = await t.token(s.sub, s.role);
      const headers = { authorization: `Bearer ${token}` };
      const bookings = await t.http({ url: `/v1/bookings?customerId=${giuliaId}`, headers });
      const documents = await t.http({ url: `/v1/customers/${giuliaId}/documents`, headers });
      const { body } = await graphql(t.app, token, `query($id: ID!) { customer(id: $id) { bookings { nodes { id } } documents { id } } }`, { id: giuliaId });
      const names = (items: Array<{ id: string }>) => items.map((i) => seeded[i.id]).sort();
      if (s.bookings === null) {
        expect([403, 404]).toContain(bookings.statusCode);
        expect(documents.statusCode).toBe(404);
        expect(body.data?.customer ?? null).toBeNull();
        return;
      }
      expect(names(bookings.json().items)).toEqual(s.bookings);
      expect(names(body.data!.customer.bookings.nodes)).toEqual(s.bookings);
      expect(names(documents.json().items)).toEqual(s.documents);
      expect(names(body.data!.customer.documents)).toEqual(s.documents);
      const invoice = Object.keys(seeded).find((id) => seeded[id] === 'invoice')!;
      const open = await t.http({ url: `/v1/documents/${invoice}/content`, headers });
      expect(open.statusCode).toBe(s.opensInvoice ? 200 : 403);
    });
  });
});
