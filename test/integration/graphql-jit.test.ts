import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHQL_ACCEPT, startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * GraphQL with JIT on (GRAPHQL_JIT, the default; mercurius compiles a document on its
 * second request). Each document here is sent several times, so every check after the
 * first request runs against the compiled query, where mercurius would otherwise run
 * the operation of the first operationName it compiled for (graphql/jit.ts).
 */
let t: TestApp;
let giulia: string;
let agent: string;
beforeAll(async () => {
  t = await startTestApp({ GRAPHQL_JIT: 'true' });
  const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
  giulia = rows[0].id;
  agent = await t.token('alice', 'agent');
});
afterAll(() => t?.close());

let requestCount = 0;
/** Without `variables`, mercurius does not check the operation before the compiled query runs. */
async function send(query: string, operationName: string | undefined, variables?: Record<string, unknown>, method: 'POST' | 'GET' = 'POST') {
  const requestId = `jit-${++requestCount}`;
  const headers = { authorization: `Bearer ${agent}`, accept: GRAPHQL_ACCEPT, 'x-request-id': requestId };
  const params = { query, ...(operationName ? { operationName } : {}), ...(variables ? { variables } : {}) };
  const res =
    method === 'POST'
      ? await t.http({ method, url: '/graphql', headers, payload: params })
      : await t.http({
          url: `/graphql?${new URLSearchParams({ query, ...(operationName ? { operationName } : {}), ...(variables ? { variables: JSON.stringify(variables) } : {}) })}`,
          headers: { ...headers, 'x-fieldguard-csrf': '1' },
        });
  return { status: res.statusCode, body: res.json(), requestId };
}

const auditRows = async (requestId: string) =>
  (
    await t.database.query(
      `select action, resource_type, resource_ids, fields_clear, fields_masked, fields_withheld, outcome from audit_events where request_id = $1 order by seq`,
      [requestId],
    )
  ).rows;

describe('a document holding several operations runs the one each request names', () => {
  const TWO_QUERIES = `
    query Many { customers(first: 2) { nodes { id } } }
    query One($id: ID!) { customer(id: $id) { fullName } }`;

  it('alternating names on repeated requests', async () => {
    for (let i = 0; i < 4; i++) {
      const one = await send(TWO_QUERIES, 'One', { id: giulia });
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ data: { customer: { fullName: 'Giulia Marchetti' } } });
      const many = await send(TWO_QUERIES, 'Many');
      expect(many.status).toBe(200);
      expect(Object.keys(many.body.data)).toEqual(['customers']);
      expect(many.body.data.customers.nodes).toHaveLength(2);
    }
  });

  it('never runs a mutation the request did not name, over POST or GET', async () => {
    const MIXED = `
      query Read($id: ID!) { customer(id: $id) { notes } }
      mutation Write($id: ID!) { updateCustomer(id: $id, input: { notes: "written by jit test" }) { notes } }`;
    const before = (await send(MIXED, 'Read', { id: giulia })).body.data.customer.notes;
    expect(before).not.toBe('written by jit test');
    // Named twice: with the document cached and compiled, a later request naming Read
    // must still read, whether it is a POST or a GET (where a mutation is refused).
    for (let i = 0; i < 2; i++) {
      const write = await send(MIXED, 'Write', { id: giulia });
      expect(write.body).toEqual({ data: { updateCustomer: { notes: 'written by jit test' } } });
      await t.database.query(`update customers set notes = $2 where id = $1`, [giulia, before]);
    }
    for (const method of ['POST', 'GET'] as const) {
      const read = await send(MIXED, 'Read', { id: giulia }, method);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ data: { customer: { notes: before } } });
      expect((await auditRows(read.requestId)).map((r) => r.action)).toEqual(['read']);
    }
    const { rows } = await t.database.query(`select notes from customers where id = $1`, [giulia]);
    expect(rows[0].notes).toBe(before);
  });

  it('refuses an operationName the document does not hold, before and after it is compiled', async () => {
    const ONE = `query Only { customers(first: 1) { nodes { id } } }`;
    expect((await send(ONE, 'Only')).status).toBe(200);
    expect((await send(ONE, 'Only')).status).toBe(200);
    for (const variables of [undefined, {}]) {
      const wrong = await send(ONE, 'Other', variables);
      expect(wrong.body.data ?? null).toBeNull();
      expect(wrong.body.errors[0].message).toBe('Unknown operation named "Other".');
    }
    const unnamed = await send(ONE, undefined);
    expect(unnamed.body.data.customers.nodes).toHaveLength(1);
  });
});

describe('masking and audit are the same on the compiled path', () => {
  it('a single read: phone masked, withheld fields null and listed, one audit row per request', async () => {
    const READ = `query Read($id: ID!) { customer(id: $id) { id fullName email phone iban taxId access { masked withheld } } }`;
    for (let i = 0; i < 4; i++) {
      const { status, body, requestId } = await send(READ, 'Read', { id: giulia });
      expect(status).toBe(200);
      const customer = body.data.customer;
      expect(customer).toMatchObject({ id: giulia, fullName: 'Giulia Marchetti', iban: null, taxId: null, access: { masked: ['phone'] } });
      expect(customer.phone).not.toBeNull();
      expect(customer.phone).not.toMatch(/^\+?[0-9 ]{8,}$/);
      expect([...customer.access.withheld].sort()).toEqual(['address', 'assignees', 'iban', 'taxId']);
      const rows = await auditRows(requestId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'read', resource_type: 'Customer', resource_ids: [giulia], fields_masked: ['phone'], outcome: 'allowed' });
      expect([...rows[0].fields_withheld].sort()).toEqual(['address', 'assignees', 'iban', 'taxId']);
    }
  });

  it('a list with nested bookings: the same body and the same audit rows on every request', async () => {
    const LIST = `{ customers(first: 10) { nodes { id fullName phone iban access { masked } bookings(first: 3) { nodes { id startsAt } } } } }`;
    const first = await send(LIST, undefined);
    expect(first.status).toBe(200);
    const firstRows = await auditRows(first.requestId);
    expect(firstRows.map((r) => `${r.action} ${r.resource_type}`)).toEqual(['list Customer', 'list Booking']);
    expect(first.body.data.customers.nodes.every((n: { iban: unknown }) => n.iban === null)).toBe(true);
    expect(first.body.data.customers.nodes.some((n: { bookings: { nodes: unknown[] } }) => n.bookings.nodes.length > 0)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const again = await send(LIST, undefined);
      expect(again.body).toEqual(first.body);
      expect(await auditRows(again.requestId)).toEqual(firstRows);
    }
  });
});
