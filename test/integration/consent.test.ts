import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { GRAPHQL_ACCEPT, startTestApp, type TestApp } from '../helpers/test-app.js';

// Marketing consent and opt-out (issue 14 §4), over a real port with real signed tokens.
// Demo data: Luca Bernardi and Hannah Becker opted out of marketing; Vittoria Colonna and
// Edoardo Fontana are confidential (assigned to alice and bob). A manager sees the ten
// others, so the marketing audience of a manager is the eight below, counted by hand.

const CONSENTING = ['Anna Kowalska', 'Camille Laurent', 'Elvira Alves', 'Giulia Marchetti', 'Javier Romero', 'Marco Esposito', 'Pieter de Vries', 'Sofia Ricci'];
const MARKETING = { 'x-purpose': 'marketing' };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let t: TestApp;
const headers: Record<string, Record<string, string>> = {};
const ids: Record<string, string> = {};

/** The default policy plus a promoter: the assistant's masked view, with the marketing audience. */
function consentPolicy(): string {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.roles.promoter = { inherits: ['assistant'], can: [{ actions: ['audience'], subject: 'Customer' }] };
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-consent-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

async function get(who: string, url: string, extra: Record<string, string> = {}, status = 200) {
  const res = await t.http({ url, headers: { ...headers[who], ...extra } });
  expect(res.statusCode, res.body).toBe(status);
  return res;
}

async function gql(who: string, query: string, extra: Record<string, string> = {}) {
  const res = await t.http({
    method: 'POST',
    url: '/graphql',
    headers: { ...headers[who], ...extra, 'content-type': 'application/json', accept: GRAPHQL_ACCEPT },
    payload: { query },
  });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { data: Record<string, any>; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const eventsOf = async (requestId: string) =>
  (
    await t.database.query(
      `select event_id, action, outcome, reason, purpose, resource_type, resource_ids, fields_clear, fields_masked, fields_withheld, details
         from audit_events where request_id = $1 order by seq`,
      [requestId],
    )
  ).rows;

const OPTED_OUT = { purpose: 'marketing', fields: ['fullName', 'email', 'phone', 'address'], reason: 'The subject opted out of marketing.' };

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: consentPolicy(), RATE_LIMIT_MAX: '0' });
  const as = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });
  Object.assign(headers, {
    carol: await as('carol', 'manager'),
    root: await as('root', 'admin'),
    alice: await as('alice', 'agent'),
    rita: await as('rita', 'assistant'),
    paula: await as('paula', 'promoter'),
  });
  const { rows } = await t.database.query(`select id, full_name from customers`);
  for (const r of rows) ids[r.full_name as string] = r.id as string;
}, 120_000);
afterAll(() => t?.close());

describe('a read declaring the marketing purpose', () => {
  it('withholds an opted-out customer’s contact fields on GET one, with the reason', async () => {
    const luca = (await get('carol', `/v1/customers/${ids['Luca Bernardi']}`, { ...MARKETING, 'x-request-id': 'consent-read' })).json();
    expect(luca).not.toHaveProperty('fullName');
    expect(luca).not.toHaveProperty('email');
    expect(luca).not.toHaveProperty('phone');
    expect(luca).not.toHaveProperty('address');
    expect(luca.id).toBe(ids['Luca Bernardi']);
    expect(luca.notes).toBe('Allergic to latex.');
    expect(luca._access.withheld).toEqual(expect.arrayContaining(['fullName', 'email', 'phone', 'address']));
    expect(luca._access.optedOut).toEqual(OPTED_OUT);
    const [event] = await eventsOf('consent-read');
    expect(event).toMatchObject({ action: 'read', outcome: 'allowed', purpose: 'marketing' });
    expect(event.fields_withheld).toEqual(expect.arrayContaining(['fullName', 'email', 'phone', 'address']));
    expect(event.fields_clear).not.toContain('email');
  });

  it('withholds them from a policy preview declaring the purpose, as the read it is', async () => {
    const preview = (purpose?: Record<string, string>) =>
      t.http({ method: 'POST', url: '/v1/policy/preview', headers: { ...headers.root, ...purpose }, payload: { principal: { sub: 'carla', roles: ['manager'] }, resource: 'Customer', id: ids['Luca Bernardi'] } });
    const withPurpose = (await preview(MARKETING)).json();
    expect(withPurpose.object).not.toHaveProperty('email');
    expect(withPurpose.object).not.toHaveProperty('fullName');
    const without = (await preview()).json();
    expect(without.object.email).toBe('luca.bernardi@example.org');
  });

  it('leaves a consenting customer as usual, and without the header the opted-out one too', async () => {
    const giulia = (await get('carol', `/v1/customers/${ids['Giulia Marchetti']}`, MARKETING)).json();
    expect(giulia).toMatchObject({ fullName: 'Giulia Marchetti', email: 'giulia.marchetti@example.com', phone: '+39 347 123 4567' });
    expect(giulia._access).not.toHaveProperty('optedOut');
    const luca = (await get('carol', `/v1/customers/${ids['Luca Bernardi']}`, { 'x-purpose': 'support call' })).json();
    expect(luca).toMatchObject({ fullName: 'Luca Bernardi', email: 'luca.bernardi@example.org', phone: '+39 333 987 6543' });
    expect(luca._access).not.toHaveProperty('optedOut');
    const plain = (await get('carol', `/v1/customers/${ids['Luca Bernardi']}`)).json();
    expect(plain.email).toBe('luca.bernardi@example.org');
  });

  it('reads the purpose wherever the header names it as a word, failing closed on spellings', async () => {
    for (const purpose of ['Marketing: spring newsletter', 'ticket=42; purpose=marketing', 'marketing-spring', 'newsletter marketing', 'support, marketing']) {
      const luca = (await get('carol', `/v1/customers/${ids['Luca Bernardi']}`, { 'x-purpose': purpose })).json();
      expect(luca, purpose).not.toHaveProperty('email');
      expect(luca._access.optedOut).toEqual(OPTED_OUT);
    }
  });

  it('decides on the opt-out even for a role that may not read it (an assistant)', async () => {
    const luca = (await get('rita', `/v1/customers/${ids['Luca Bernardi']}`, MARKETING)).json();
    expect(luca).toEqual({
      id: ids['Luca Bernardi'],
      createdAt: expect.any(String),
      _access: {
        masked: [],
        withheld: ['address', 'iban', 'taxId', 'notes', 'privacyLevel', 'assignees', 'marketingOptOut', 'updatedAt', 'fullName', 'email', 'phone'],
        optedOut: { ...OPTED_OUT, fields: ['fullName', 'email', 'phone'] },
      },
    });
    const giulia = (await get('rita', `/v1/customers/${ids['Giulia Marchetti']}`, MARKETING)).json();
    expect(giulia.fullName).toBe('Giulia Marchetti');
    expect(giulia).not.toHaveProperty('marketingOptOut');
  });

  it('holds over an approved access request', async () => {
    const asked = await t.http({
      method: 'POST',
      url: '/v1/access-requests',
      headers: headers.alice,
      payload: { resource: 'Customer', id: ids['Luca Bernardi'], fields: ['address'], reason: 'Sending a contract by post', minutes: 10 },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const approved = await t.http({ method: 'POST', url: `/v1/access-requests/${asked.json().id}/approve`, headers: headers.carol, payload: {} });
    expect(approved.statusCode, approved.body).toBe(200);
    const plain = (await get('alice', `/v1/customers/${ids['Luca Bernardi']}`)).json();
    expect(plain.address).toBe('Corso Vittorio Emanuele 45, 10121 Torino');
    expect(plain._access.revealed).toEqual(['address']);
    const declared = (await get('alice', `/v1/customers/${ids['Luca Bernardi']}`, MARKETING)).json();
    expect(declared).not.toHaveProperty('address');
    expect(declared._access).not.toHaveProperty('revealed');
    expect(declared._access.optedOut.fields).toEqual(['fullName', 'email', 'phone', 'address']);
  });

  it('withholds them in a list, and masked fields too (an agent sees the phone masked)', async () => {
    const page = (await get('alice', '/v1/customers?limit=100', MARKETING)).json();
    const hannah = page.items.find((c: any) => c.id === ids['Hannah Becker']);
    expect(hannah).toBeDefined();
    expect(hannah).not.toHaveProperty('email');
    expect(hannah).not.toHaveProperty('phone');
    expect(hannah._access.masked).toEqual([]);
    expect(hannah._access.optedOut).toEqual({ ...OPTED_OUT, fields: ['fullName', 'email', 'phone'] });
    const sofia = page.items.find((c: any) => c.id === ids['Sofia Ricci']);
    expect(sofia).toMatchObject({ fullName: 'Sofia Ricci', email: 'sofia.ricci@example.com' });
    expect(sofia.phone).toMatch(/X/);
  });

  it('does not let a filter on a withheld contact field find the opted-out customer', async () => {
    const found = (await get('carol', '/v1/customers?filter[email]=luca.bernardi%40example.org', MARKETING)).json();
    expect(found.items).toEqual([]);
    const plain = (await get('carol', '/v1/customers?filter[email]=luca.bernardi%40example.org')).json();
    expect(plain.items.map((c: any) => c.id)).toEqual([ids['Luca Bernardi']]);
  });

  it('leaves their contact fields out of an export, and says so in the export event', async () => {
    const res = await get('root', '/v1/customers/export?format=ndjson', { ...MARKETING, 'x-request-id': 'consent-export' });
    const rows = res.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(12);
    const luca = rows.find((r) => r.id === ids['Luca Bernardi']);
    expect(luca).not.toHaveProperty('email');
    expect(luca).not.toHaveProperty('fullName');
    expect(luca.iban).toBe('IT02A0301503200000003517230');
    expect(luca._access.optedOut).toEqual(OPTED_OUT);
    expect(rows.find((r) => r.id === ids['Marco Esposito']).email).toBe('marco.esposito@example.it');
    const [started, completed] = await eventsOf('consent-export');
    expect(started).toMatchObject({ action: 'export', details: { optedOut: { purpose: 'marketing', fields: ['fullName', 'email', 'phone', 'address'], records: 2 } } });
    expect(started.fields_withheld).toEqual(expect.arrayContaining(['email']));
    expect(completed).toMatchObject({ action: 'export.completed', resource_type: 'Customer' });
  });

  it('withholds them in GraphQL customer and customers, with the reason in access', async () => {
    const query = `{ customer(id: "${ids['Luca Bernardi']}") { id fullName email phone notes access { withheld optedOut { purpose fields reason } } }
      customers(first: 100) { nodes { id fullName email access { optedOut { purpose } } } } }`;
    const data = await gql('carol', query, MARKETING);
    expect(data.customer).toMatchObject({ id: ids['Luca Bernardi'], fullName: null, email: null, phone: null, notes: 'Allergic to latex.' });
    expect(data.customer.access.optedOut).toEqual(OPTED_OUT);
    expect(data.customer.access.withheld).toEqual(expect.arrayContaining(['email']));
    const hannah = data.customers.nodes.find((c: any) => c.id === ids['Hannah Becker']);
    expect(hannah).toEqual({ id: ids['Hannah Becker'], fullName: null, email: null, access: { optedOut: { purpose: 'marketing' } } });
    const marco = data.customers.nodes.find((c: any) => c.id === ids['Marco Esposito']);
    expect(marco).toEqual({ id: ids['Marco Esposito'], fullName: 'Marco Esposito', email: 'marco.esposito@example.it', access: { optedOut: null } });
  });

  it('withholds them on a booking’s customer reached by reference', async () => {
    const data = await gql('carol', `{ bookings(customerId: "${ids['Luca Bernardi']}", first: 5) { nodes { customer { id email access { optedOut { reason } } } } } }`, MARKETING);
    expect(data.bookings.nodes.length).toBeGreaterThan(0);
    for (const b of data.bookings.nodes) expect(b.customer).toEqual({ id: ids['Luca Bernardi'], email: null, access: { optedOut: { reason: 'The subject opted out of marketing.' } } });
  });

  it('shows them in GraphQL without the purpose', async () => {
    const data = await gql('carol', `{ customer(id: "${ids['Luca Bernardi']}") { email access { optedOut { purpose } } } }`);
    expect(data.customer).toEqual({ email: 'luca.bernardi@example.org', access: { optedOut: null } });
  });
});

describe('the marketing audience', () => {
  it('gives a manager the consenting customers they see, as CSV, never the opted-out', async () => {
    const res = await get('carol', '/v1/audiences/Customer/marketing?format=csv', { 'x-request-id': 'audience-csv' });
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="customers-marketing-audience-/);
    const rows = parseCsv(res.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['id', 'fullName', 'email', 'phone', 'address']);
    expect(rows.map((r) => r.fullName).sort()).toEqual(CONSENTING);
    expect(rows.find((r) => r.fullName === 'Giulia Marchetti')).toEqual({
      id: ids['Giulia Marchetti'],
      fullName: 'Giulia Marchetti',
      email: 'giulia.marchetti@example.com',
      // escape_formulas: a cell starting with + stays text in a spreadsheet.
      phone: "'+39 347 123 4567",
      address: 'Via Roma 12, 20121 Milano',
    });
    expect(res.body).not.toContain('Bernardi');
    expect(res.body).not.toContain('Becker');
    expect(res.headers['x-fieldguard-withheld']).toBe('');

    const [started, completed, ...more] = await eventsOf('audience-csv');
    expect(more).toHaveLength(0);
    expect(started).toMatchObject({ action: 'audience', outcome: 'allowed', resource_type: 'Customer', details: { purpose: 'marketing', format: 'csv', rows: 8 } });
    expect([...started.resource_ids].sort()).toEqual(CONSENTING.map((n) => ids[n]).sort());
    expect(started.fields_clear).toEqual(['id', 'fullName', 'email', 'phone', 'address']);
    expect(completed).toMatchObject({
      action: 'export.completed',
      resource_type: 'Customer',
      details: { format: 'csv', rows: 8, bytes: res.rawPayload.length, sha256: sha256(res.rawPayload), exportEventId: started.event_id },
    });
  });

  it('gives the same records as NDJSON, each with its access', async () => {
    const res = await get('root', '/v1/audiences/Customer/marketing?format=ndjson');
    const rows = res.body.trim().split('\n').map((l) => JSON.parse(l));
    // The admin reads every customer, but the audience right comes with the manager's condition.
    expect(rows.map((r) => r.fullName).sort()).toEqual(CONSENTING);
    expect(rows.find((r) => r.id === ids['Sofia Ricci'])).toEqual({
      id: ids['Sofia Ricci'],
      fullName: 'Sofia Ricci',
      email: 'sofia.ricci@example.com',
      phone: '+39 349 222 3344',
      address: 'Piazza Maggiore 1, 40124 Bologna',
      _access: { masked: [], withheld: [] },
    });
  });

  it('drops a customer who opts out, and takes back one who opts in again', async () => {
    await t.http({ method: 'PATCH', url: `/v1/customers/${ids['Pieter de Vries']}`, headers: headers.carol, payload: { marketingOptOut: true } });
    const without = parseCsv((await get('carol', '/v1/audiences/Customer/marketing')).body, { columns: true }) as Record<string, string>[];
    expect(without.map((r) => r.fullName).sort()).toEqual(CONSENTING.filter((n) => n !== 'Pieter de Vries'));
    const back = await t.http({ method: 'PATCH', url: `/v1/customers/${ids['Pieter de Vries']}`, headers: headers.carol, payload: { marketingOptOut: false } });
    expect(back.statusCode, back.body).toBe(200);
    const again = parseCsv((await get('carol', '/v1/audiences/Customer/marketing')).body, { columns: true }) as Record<string, string>[];
    expect(again.map((r) => r.fullName).sort()).toEqual(CONSENTING);
  });

  it('masks what the caller sees masked and leaves out what they may not see', async () => {
    const res = await get('paula', '/v1/audiences/Customer/marketing?format=csv');
    expect(res.headers['x-fieldguard-withheld']).toBe('address');
    const rows = parseCsv(res.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['id', 'fullName', 'email', 'phone']);
    expect(rows.map((r) => r.fullName).sort()).toEqual(CONSENTING);
    const giulia = rows.find((r) => r.fullName === 'Giulia Marchetti')!;
    expect(giulia.email).toBe('g***@example.com');
    expect(giulia.phone).toBe("'+39 XXX XXX XXXX");
    expect(res.body).not.toContain('giulia.marchetti@');
  });

  it('refuses a role without the audience right, and audits the refusal', async () => {
    const res = await get('alice', '/v1/audiences/Customer/marketing', { 'x-request-id': 'audience-denied' }, 403);
    expect(res.json().code).toBe('FORBIDDEN');
    const [event] = await eventsOf('audience-denied');
    expect(event).toMatchObject({ action: 'audience', outcome: 'denied', resource_type: 'Customer' });
  });

  it('answers 404 for a purpose or resource the model does not declare, 400 for a bad format', async () => {
    await get('carol', '/v1/audiences/Customer/newsletter', {}, 404);
    await get('carol', '/v1/audiences/Booking/marketing', {}, 403);
    await get('carol', '/v1/audiences/Nothing/marketing', {}, 404);
    await get('carol', '/v1/audiences/Customer/marketing?format=xlsx', {}, 400);
  });
});
