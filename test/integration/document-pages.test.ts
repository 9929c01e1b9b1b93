import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// A customer's documents come a page at a time, in (createdAt, id) order, through both
// doors; the list GraphQL clients already use stays, bounded; each page is one audit event.

let t: TestApp;
/** Customers of this file's own, with 25 and 101 documents. */
let some: string;
let many: string;
/** Document ids per customer in keyset order. */
const docs: Record<string, string[]> = {};

/** A customer with `count` documents, every fifth a contract, the others invoices. */
async function seed(name: string, count: number): Promise<string> {
  const { rows } = await t.database.query(`insert into customers (full_name) values ($1) returning id`, [name]);
  const id = rows[0].id as string;
  // One statement: every document gets the same createdAt, so only the id orders them.
  await t.database.query(
    `insert into documents (customer_id, category, title, content_type, size_bytes, sha256, created_by)
     select $1, (array['invoice','contract'])[case when g % 5 = 0 then 2 else 1 end], 'Doc ' || g, 'text/plain', 2, repeat('a', 64), 'root' from generate_series(1, $2) g`,
    [id, count],
  );
  docs[id] = (await t.database.query(`select id from documents where customer_id = $1 order by created_at, id`, [id])).rows.map((r) => r.id);
  return id;
}

beforeAll(async () => {
  // Grants are judged by a clock that stands still here: the admin's grants are read once,
  // not again whenever a second has passed, so statement counts do not depend on timing.
  const frozen = Date.now();
  t = await startTestApp({}, { clock: () => frozen });
  some = await seed('Pager Some', 25);
  many = await seed('Pager Many', 101);
}, 120_000);
afterAll(() => t?.close());

const get = async (url: string, sub = 'root', role = 'admin') => t.http({ url, headers: { authorization: `Bearer ${await t.token(sub, role)}` } });
const listEvents = async (requestIds: string[]) =>
  (await t.database.query(`select request_id, resource_ids, details from audit_events where resource_type = 'Document' and action = 'list' and request_id = any($1) order by seq`, [requestIds])).rows;

describe('GET /v1/customers/{id}/documents', () => {
  it('pages 20 at a time by default, in a stable order, each page one audit event', async () => {
    const first = await get(`/v1/customers/${some}/documents`);
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toHaveLength(20);
    const second = await get(`/v1/customers/${some}/documents?cursor=${first.json().nextCursor}`);
    expect(second.json().nextCursor).toBeNull();
    const ids = [...first.json().items, ...second.json().items].map((d: { id: string }) => d.id);
    expect(ids).toEqual(docs[some]);
    const events = await listEvents([first.headers['x-request-id'] as string, second.headers['x-request-id'] as string]);
    expect(events.map((e) => [e.resource_ids, e.details])).toEqual([
      [ids.slice(0, 20), { customerIds: [some] }],
      [ids.slice(20), { customerIds: [some] }],
    ]);
  });

  it("pages over only the documents the caller may see (an agent's invoices), with any limit from 1 to 100", async () => {
    const seen: string[] = [];
    let cursor = '';
    do {
      const res = await get(`/v1/customers/${some}/documents?limit=7${cursor ? `&cursor=${cursor}` : ''}`, 'bob', 'agent');
      seen.push(...res.json().items.map((d: { id: string; category: string }) => d.category));
      cursor = res.json().nextCursor ?? '';
    } while (cursor);
    expect(seen).toEqual(Array(20).fill('invoice'));
    for (const bad of ['limit=0', 'limit=101', 'cursor=not-a-cursor', 'offset=3']) {
      const res = await get(`/v1/customers/${some}/documents?${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().code, bad).toBe(bad.startsWith('cursor') ? 'INVALID_CURSOR' : 'VALIDATION_FAILED');
    }
  });
});

describe('GraphQL', () => {
  const pageQuery = `query($id: ID!, $after: String) { customer(id: $id) { documentPage(first: 40, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } } }`;

  it('Customer.documentPage(first, after) walks every document; Customer.documents answers the first 100', async () => {
    const token = await t.token('root', 'admin');
    const walked: string[] = [];
    let after: string | null = null;
    for (let more = true; more; ) {
      const { body } = await graphql(t.app, token, pageQuery, { id: many, after });
      const page = body.data!.customer.documentPage;
      walked.push(...page.nodes.map((n: { id: string }) => n.id));
      ({ hasNextPage: more, endCursor: after } = page.pageInfo);
    }
    expect(walked).toEqual(docs[many]);
    const { body } = await graphql(t.app, token, `query($id: ID!) { customer(id: $id) { documents { id } } }`, { id: many });
    expect(body.data!.customer.documents.map((d: { id: string }) => d.id)).toEqual(docs[many]!.slice(0, 100));
  });

  it('answers two pages of one customer (aliases), each from its own position, in one audit event', async () => {
    const token = await t.token('root', 'admin');
    const cursor = (await get(`/v1/customers/${some}/documents?limit=3`)).json().nextCursor;
    const query = `query($id: ID!, $after: String) { customer(id: $id) { head: documentPage(first: 3) { nodes { id } } tail: documentPage(first: 3, after: $after) { nodes { id } } } }`;
    const { body } = await graphql(t.app, token, query, { id: some, after: cursor });
    const ids = (page: { nodes: Array<{ id: string }> }) => page.nodes.map((n) => n.id);
    expect(ids(body.data!.customer.head)).toEqual(docs[some]!.slice(0, 3));
    expect(ids(body.data!.customer.tail)).toEqual(docs[some]!.slice(3, 6));
    const { rows } = await t.database.query(`select resource_ids, details from audit_events where resource_type = 'Document' and action = 'list' order by seq desc limit 1`);
    expect(rows[0]).toEqual({ resource_ids: docs[some]!.slice(0, 6), details: { customerIds: [some] } });
  });

  it('pages every customer of a list with as many statements for 14 customers as for 2, each its own first page', async () => {
    const token = await t.token('root', 'admin');
    const run = async (n: number) => {
      const before = t.statements();
      const { body } = await graphql(t.app, token, `{ customers(first: ${n}) { nodes { id documentPage(first: 2) { nodes { id } pageInfo { hasNextPage } } } } }`);
      return { body, statements: t.statements() - before };
    };
    await run(2); // the person's first request reads what is known of them once
    const small = await run(2);
    const { body, statements } = await run(100);
    expect(body.data!.customers.nodes).toHaveLength(14);
    expect(statements).toBe(small.statements);
    const pageOf = (id: string) => body.data!.customers.nodes.find((n: { id: string }) => n.id === id).documentPage;
    expect(pageOf(many).nodes.map((n: { id: string }) => n.id)).toEqual(docs[many]!.slice(0, 2));
    expect(pageOf(some).nodes.map((n: { id: string }) => n.id)).toEqual(docs[some]!.slice(0, 2));
    expect(pageOf(many).pageInfo.hasNextPage).toBe(true);
    const { rows } = await t.database.query(`select details from audit_events where resource_type = 'Document' and action = 'list' order by seq desc limit 1`);
    expect(rows[0].details.customerIds).toEqual(expect.arrayContaining([some, many]));
    expect(rows[0].details.customerIds).toHaveLength(body.data!.customers.nodes.length);
  });
});
