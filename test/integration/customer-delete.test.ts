import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// Deleting a customer takes its bookings and documents with it (ON DELETE CASCADE): the
// trail must name every record that went, and nobody may sweep away records they could
// not delete by hand. The default policy, plus two roles that may delete customers:
// a registrar (a manager: sees every document, may delete none) and a clerk (an agent:
// sees invoices only, may delete bookings and invoices).

let t: TestApp;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.roles.registrar = { inherits: ['manager'], can: [{ actions: ['delete'], subject: 'Customer' }] };
  doc.roles.clerk = { inherits: ['agent'], can: [{ actions: ['delete'], subject: 'Customer' }, { actions: ['delete'], subject: 'Booking' }, { actions: ['delete'], subject: 'Document', when: { category: 'invoice' } }] };
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-delete-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  t = await startTestApp({ POLICY_FILE: file });
}, 120_000);
afterAll(() => t?.close());

/** A customer of this file's own with `bookings` bookings and a document per category given. */
async function customerWith(bookings: number, categories: string[]) {
  const { rows } = await t.database.query(`insert into customers (full_name) values ('To Delete') returning id`);
  const id = rows[0].id as string;
  const bookingIds: string[] = [];
  for (let i = 0; i < bookings; i++) {
    const b = await t.database.query(`insert into bookings (customer_id, staff_sub, service, starts_at, ends_at) values ($1, 'sara', 'Cut', now() + make_interval(days => $2), now() + make_interval(days => $2, hours => 1)) returning id`, [id, i]);
    bookingIds.push(b.rows[0].id);
  }
  const documents: Array<{ id: string; category: string; sha256: string }> = [];
  for (const category of categories) {
    const d = await t.database.query(`insert into documents (customer_id, category, title, content_type, size_bytes, sha256, created_by) values ($1, $2, 'T', 'text/plain', $3, $4, 'root') returning id`, [id, category, category.length, sha(category)]);
    await t.database.query(`insert into document_chunks (document_id, seq, bytes) values ($1, 0, $2)`, [d.rows[0].id, Buffer.from(category)]);
    documents.push({ id: d.rows[0].id, category, sha256: sha(category) });
  }
  return { id, bookingIds, documents };
}

const remaining = async (id: string) =>
  (await t.database.query(`select (select count(*)::int from customers where id = $1) c, (select count(*)::int from bookings where customer_id = $1) b,
     (select count(*)::int from documents where customer_id = $1) d, (select count(*)::int from document_chunks k join documents x on x.id = k.document_id where x.customer_id = $1) k`, [id])).rows[0];
const eventsOf = async (requestId: string) =>
  (await t.database.query(`select channel, action, resource_type, resource_ids, outcome, details from audit_events where request_id = $1 order by seq`, [requestId])).rows;
const verify = async () => (await t.http({ url: '/v1/audit/verify', headers: { authorization: `Bearer ${await t.token('eve', 'auditor')}` } })).json();
const del = async (id: string, sub: string, role: string, requestId: string) =>
  t.http({ method: 'DELETE', url: `/v1/customers/${id}`, headers: { authorization: `Bearer ${await t.token(sub, role)}`, 'x-request-id': requestId } });

/** The events a deletion must leave: the customer's, then one per record that went. */
const cascadeEvents = (channel: string, c: Awaited<ReturnType<typeof customerWith>>) => [
  { channel, action: 'delete', resource_type: 'Customer', resource_ids: [c.id], outcome: 'allowed', details: { cascaded: { Booking: c.bookingIds.length, Document: c.documents.length } } },
  ...c.bookingIds.map((b) => ({ channel, action: 'delete', resource_type: 'Booking', resource_ids: [b], outcome: 'allowed', details: { cascadeFrom: { resourceType: 'Customer', id: c.id } } })),
  ...c.documents.map((d) => ({
    channel,
    action: 'delete',
    resource_type: 'Document',
    resource_ids: [d.id],
    outcome: 'allowed',
    details: { category: d.category, sha256: d.sha256, sizeBytes: d.category.length, cascadeFrom: { resourceType: 'Customer', id: c.id } },
  })),
];

describe('deleting a customer with bookings and documents', () => {
  it('REST: everything goes, and the trail names every booking and document, in the same transaction', async () => {
    const c = await customerWith(2, ['invoice', 'contract']);
    expect((await del(c.id, 'root', 'admin', 'delete-rest')).statusCode).toBe(204);
    expect(await remaining(c.id)).toEqual({ c: 0, b: 0, d: 0, k: 0 });
    expect(await eventsOf('delete-rest')).toEqual(cascadeEvents('rest', c));
    // "Who touched this booking?" finds its deletion.
    const feed = await t.http({ url: `/v1/audit/events?resourceId=${c.bookingIds[0]}&action=delete`, headers: { authorization: `Bearer ${await t.token('eve', 'auditor')}` } });
    expect(feed.json().items.map((e: { requestId: string }) => e.requestId)).toEqual(['delete-rest']);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('GraphQL deleteCustomer does the same', async () => {
    const c = await customerWith(1, ['identity']);
    const res = await t.http({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${await t.token('root', 'admin')}`, 'content-type': 'application/json', 'x-request-id': 'delete-gql' },
      payload: { query: 'mutation($id: ID!) { deleteCustomer(id: $id) }', variables: { id: c.id } },
    });
    expect(res.json().data.deleteCustomer).toBe(true);
    expect(await remaining(c.id)).toEqual({ c: 0, b: 0, d: 0, k: 0 });
    expect(await eventsOf('delete-gql')).toEqual(cascadeEvents('graphql', c));
    expect(await verify()).toMatchObject({ ok: true });
  });
});

describe('records the caller could not delete by hand', () => {
  const REFUSED = 'This customer has bookings or documents your roles may not delete, and deleting the customer would delete them too. Nothing was deleted.';

  it('refuse the deletion (403, audited) when a document is one the caller may not delete, or does not see', async () => {
    for (const [sub, role, category] of [['reg', 'registrar', 'invoice'], ['cle', 'clerk', 'contract']] as const) {
      const c = await customerWith(1, [category]);
      const res = await del(c.id, sub, role, `refused-${role}`);
      expect(res.statusCode, role).toBe(403);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN', detail: REFUSED });
      expect(await remaining(c.id)).toEqual({ c: 1, b: 1, d: 1, k: 1 });
      expect(await eventsOf(`refused-${role}`)).toEqual([{ channel: 'rest', action: 'delete', resource_type: 'Customer', resource_ids: [c.id], outcome: 'denied', details: null }]);
      const gql = await graphql(t.app, await t.token(sub, role), 'mutation($id: ID!) { deleteCustomer(id: $id) }', { id: c.id });
      expect(gql.body.errors?.[0]).toMatchObject({ message: REFUSED, extensions: { code: 'FORBIDDEN' } });
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('allow it when the caller may delete every record that goes with the customer', async () => {
    const registrar = await customerWith(2, []);
    expect((await del(registrar.id, 'reg', 'registrar', 'allowed-registrar')).statusCode).toBe(204);
    expect(await eventsOf('allowed-registrar')).toEqual(cascadeEvents('rest', registrar));
    const clerk = await customerWith(1, ['invoice']);
    expect((await del(clerk.id, 'cle', 'clerk', 'allowed-clerk')).statusCode).toBe(204);
    expect(await remaining(clerk.id)).toEqual({ c: 0, b: 0, d: 0, k: 0 });
  });
});
