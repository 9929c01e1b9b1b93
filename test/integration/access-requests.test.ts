import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// Asking to see more, on the default policy: an agent asks to see one customer's IBAN, a
// manager approves, the agent reads it in clear until the grant expires (a clock the test
// moves), and every step is in the trail. Over a real port with real signed tokens.

let t: TestApp;
let clock = Date.parse('2026-12-03T10:00:00Z');
const tokens: Record<string, string> = {};
const ids = {} as Record<'ada' | 'bruno', string>;
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

const post = (who: string, url: string, payload: object = {}) => t.http({ method: 'POST', url, headers: as(who), payload });
const read = async (who: string, id: string) => (await t.http({ url: `/v1/customers/${id}`, headers: as(who) })).json();
const trail = async (action: string) =>
  (await t.database.query(`select actor_sub, outcome, resource_type, resource_ids, fields_clear, details from audit_events where action = $1 order by seq`, [action])).rows;

beforeAll(async () => {
  t = await startTestApp({ DEMO_DATA: 'false' }, { clock: () => clock });
  tokens.admin = await t.token('olga', 'admin');
  tokens.agent = await t.token('alice', 'agent');
  tokens.otherAgent = await t.token('bob', 'agent');
  tokens.manager = await t.token('marco', 'manager');
  tokens.manager2 = await t.token('maria', 'manager');
  const create = async (body: object) => (await post('admin', '/v1/customers', body)).json().id as string;
  ids.ada = await create({ fullName: 'Ada Lovelace', email: 'ada@example.com', iban: 'IT60X0542811101000000123456', address: 'Via Roma 1, Milano' });
  ids.bruno = await create({ fullName: 'Bruno Neri', email: 'bruno@example.com', iban: 'IT60X0542811101000000654321' });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('asking to see more', () => {
  let requestId: string;

  it('files a pending request for fields the policy lets the role ask for; nothing is revealed yet', async () => {
    const res = await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.ada, fields: ['iban'], reason: 'Refund to the customer', minutes: 20 });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ requester: 'alice', resource: 'Customer', recordId: ids.ada, fields: ['iban'], status: 'pending', expiresAt: null });
    requestId = res.json().id;
    expect((await read('agent', ids.ada)).iban).toBeUndefined();
    const [event] = await trail('access.requested');
    expect(event).toMatchObject({ actor_sub: 'alice', outcome: 'allowed', resource_type: 'Customer', resource_ids: [ids.ada] });
    // The reason is the person's own words: kept with the request, not in the trail.
    expect(JSON.stringify(event.details)).not.toContain('Refund');
  });

  it('refuses what the policy does not allow: other fields, a longer grant, break-glass for an agent', async () => {
    const tax = await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.ada, fields: ['taxId'], reason: 'x', minutes: 5 });
    expect(tax.statusCode).toBe(403);
    const long = await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.ada, fields: ['iban'], reason: 'x', minutes: 31 });
    expect(long.statusCode).toBe(400);
    expect(long.json().detail).toContain('at most 30');
    const glass = await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.ada, fields: ['iban'], reason: 'An emergency of some length', minutes: 5, breakGlass: true });
    expect(glass.statusCode).toBe(403);
  });

  it('answers 404 for a record the requester may not see', async () => {
    const secret = (await post('admin', '/v1/customers', { fullName: 'Confidential', privacyLevel: 'confidential', assignees: ['someone-else'] })).json().id;
    const res = await post('agent', '/v1/access-requests', { resource: 'Customer', id: secret, fields: ['iban'], reason: 'x', minutes: 5 });
    expect(res.statusCode).toBe(404);
  });

  it('shows the request to its requester and to managers, not to another agent', async () => {
    const mine = (await t.http({ url: '/v1/access-requests', headers: as('agent') })).json().items;
    expect(mine.map((r: { id: string }) => r.id)).toContain(requestId);
    const managers = (await t.http({ url: '/v1/access-requests?status=pending', headers: as('manager') })).json().items;
    expect(managers.map((r: { id: string }) => r.id)).toContain(requestId);
    const other = (await t.http({ url: '/v1/access-requests', headers: as('otherAgent') })).json().items;
    expect(other).toEqual([]);
  });

  it('may not be decided by its requester nor by someone who is not an approver', async () => {
    expect((await post('agent', `/v1/access-requests/${requestId}/approve`)).statusCode).toBe(403);
    expect((await post('otherAgent', `/v1/access-requests/${requestId}/approve`)).statusCode).toBe(404);
  });

  it('once approved, shows exactly that field of exactly that record in clear, REST and GraphQL, naming the grant', async () => {
    const res = await post('manager', `/v1/access-requests/${requestId}/approve`, { note: 'ok for the refund' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'approved', decidedBy: 'marco', expiresAt: '2026-12-03T10:20:00.000Z' });

    const ada = await read('agent', ids.ada);
    expect(ada.iban).toBe('IT60X0542811101000000123456');
    expect(ada._access.revealed).toEqual(['iban']);
    expect(ada._access.withheld).not.toContain('iban');
    expect(ada).not.toHaveProperty('address');
    const bruno = await read('agent', ids.bruno);
    expect(bruno).not.toHaveProperty('iban');
    expect(bruno._access).not.toHaveProperty('revealed');
    // Another agent's view is unchanged.
    expect(await read('otherAgent', ids.ada)).not.toHaveProperty('iban');

    const gql = (await graphql(t.app, tokens.agent!, `query ($id: ID!) { customer(id: $id) { iban access { withheld revealed } } }`, { id: ids.ada })).body;
    expect(gql.errors).toBeUndefined();
    expect(gql.data!.customer).toEqual({ iban: 'IT60X0542811101000000123456', access: { withheld: expect.not.arrayContaining(['iban']), revealed: ['iban'] } });

    const reads = (await trail('read')).filter((e) => e.actor_sub === 'alice' && e.resource_ids.includes(ids.ada) && e.fields_clear.includes('iban'));
    expect(reads.length).toBeGreaterThanOrEqual(2);
    for (const e of reads) expect(e.details.grants).toEqual([requestId]);
    expect((await trail('access.approved')).find((e) => e.outcome === 'allowed')).toMatchObject({ actor_sub: 'marco', resource_ids: [ids.ada] });
  });

  it('cannot be decided twice', async () => {
    const again = await post('manager2', `/v1/access-requests/${requestId}/deny`);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('REQUEST_NOT_PENDING');
  });

  it('reveals nothing once expired, and the expiry is an audit event', async () => {
    clock += 19 * 60_000;
    expect((await read('agent', ids.ada)).iban).toBe('IT60X0542811101000000123456');
    clock += 2 * 60_000;
    const after = await read('agent', ids.ada);
    expect(after).not.toHaveProperty('iban');
    expect(after._access).not.toHaveProperty('revealed');
    const mine = (await t.http({ url: '/v1/access-requests?status=expired', headers: as('agent') })).json().items;
    expect(mine.map((r: { id: string }) => r.id)).toEqual([requestId]);
    expect((await trail('access.expired')).map((e) => e.details.accessRequestId)).toEqual([requestId]);
  });

  it('reveals nothing when denied', async () => {
    const filed = (await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.bruno, fields: ['address'], reason: 'Post a letter', minutes: 10 })).json();
    const denied = await post('manager', `/v1/access-requests/${filed.id}/deny`, { note: 'use e-mail' });
    expect(denied.json().status).toBe('denied');
    expect(await read('agent', ids.bruno)).not.toHaveProperty('address');
    expect((await trail('access.denied')).at(-1)).toMatchObject({ actor_sub: 'marco', outcome: 'allowed' });
  });

  it('lets an admin break glass at once with a real reason, flagged in the trail', async () => {
    const short = await post('admin', '/v1/access-requests', { resource: 'Customer', id: ids.bruno, fields: ['taxId'], reason: 'now', minutes: 5, breakGlass: true });
    expect(short.statusCode).toBe(400);
    const res = await post('admin', '/v1/access-requests', { resource: 'Customer', id: ids.bruno, fields: ['taxId'], reason: 'Fraud investigation requested by the bank', minutes: 5, breakGlass: true });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'approved', breakGlass: true });
    const event = (await trail('access.break_glass')).find((e) => e.outcome === 'allowed');
    expect(event).toMatchObject({ actor_sub: 'olga', outcome: 'allowed', resource_ids: [ids.bruno] });
    expect(event!.details.breakGlass).toBe(true);
  });

  it('works the same through GraphQL: request, the approvers’ queue, approve', async () => {
    const filed = (
      await graphql(t.app, tokens.agent!, `mutation ($input: AccessRequestInput!) { requestAccess(input: $input) { id status fields } }`, {
        input: { resource: 'Customer', id: ids.bruno, fields: ['iban'], reason: 'Refund', minutes: 5 },
      })
    ).body;
    expect(filed.errors).toBeUndefined();
    expect(filed.data!.requestAccess).toMatchObject({ status: 'pending', fields: ['iban'] });
    const id = filed.data!.requestAccess.id as string;
    const queue = (await graphql(t.app, tokens.manager2!, `{ accessRequests(status: "pending") { id requester } }`)).body;
    expect(queue.data!.accessRequests).toContainEqual({ id, requester: 'alice' });
    const own = (await graphql(t.app, tokens.agent!, `mutation ($id: ID!) { approveAccessRequest(id: $id) { status } }`, { id })).body;
    expect(own.errors![0].extensions.code).toBe('FORBIDDEN');
    const approved = (await graphql(t.app, tokens.manager2!, `mutation ($id: ID!) { approveAccessRequest(id: $id, note: "ok") { status decidedBy } }`, { id })).body;
    expect(approved.data!.approveAccessRequest).toEqual({ status: 'approved', decidedBy: 'maria' });
    const bruno = (await graphql(t.app, tokens.agent!, `query ($id: ID!) { customer(id: $id) { iban access { revealed } } }`, { id: ids.bruno })).body;
    expect(bruno.data!.customer).toEqual({ iban: 'IT60X0542811101000000654321', access: { revealed: ['iban'] } });
  });

  it('reveals nothing once revoked by an approver; only an approved grant can be revoked, and strangers learn nothing', async () => {
    const filed = (await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.ada, fields: ['address'], reason: 'Send the contract', minutes: 30 })).json();
    expect((await post('manager', `/v1/access-requests/${filed.id}/revoke`)).json().code).toBe('REQUEST_NOT_PENDING');
    await post('manager', `/v1/access-requests/${filed.id}/approve`);
    expect((await read('agent', ids.ada)).address).toBe('Via Roma 1, Milano');
    // The approvers see the grant they could take back.
    const queue = (await t.http({ url: '/v1/access-requests?status=approved', headers: as('manager2') })).json().items;
    expect(queue.map((r: { id: string }) => r.id)).toContain(filed.id);
    const stranger = await post('otherAgent', `/v1/access-requests/${filed.id}/revoke`);
    expect(stranger.statusCode).toBe(404);
    const revoked = await post('manager2', `/v1/access-requests/${filed.id}/revoke`, { note: 'contract sent by post already' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ status: 'revoked', revokedBy: 'maria', revokeNote: 'contract sent by post already' });
    const after = await read('agent', ids.ada);
    expect(after).not.toHaveProperty('address');
    expect(after._access.revealed ?? []).not.toContain('address');
    const again = await post('manager2', `/v1/access-requests/${filed.id}/revoke`);
    expect(again.statusCode).toBe(409);
    const events = await trail('access.revoked');
    expect(events.filter((e) => e.outcome === 'allowed')).toEqual([
      expect.objectContaining({ actor_sub: 'maria', resource_ids: [ids.ada], details: expect.objectContaining({ accessRequestId: filed.id, revokedBy: 'maria' }) }),
    ]);
    expect(JSON.stringify(events)).not.toContain('contract sent');
    expect(events.filter((e) => e.outcome === 'denied').map((e) => e.actor_sub)).toEqual(['marco', 'bob', 'maria']);
  });

  it('lets the requester give up a grant, and an admin end a break-glass grant, through GraphQL too', async () => {
    const glass = (await post('admin', '/v1/access-requests', { resource: 'Customer', id: ids.ada, fields: ['iban'], reason: 'Chargeback dispute with the bank today', minutes: 30, breakGlass: true })).json();
    const other = await t.token('otto', 'admin');
    const ended = (await graphql(t.app, other, `mutation ($id: ID!) { revokeAccessRequest(id: $id) { status revokedBy } }`, { id: glass.id })).body;
    expect(ended.data!.revokeAccessRequest).toEqual({ status: 'revoked', revokedBy: 'otto' });
    const filed = (await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.bruno, fields: ['address'], reason: 'Post a parcel', minutes: 10 })).json();
    await post('manager', `/v1/access-requests/${filed.id}/approve`);
    // Bruno has no address on file: the grant shows that (null), where the agent's rules withhold the field.
    expect(await read('agent', ids.bruno)).toHaveProperty('address', null);
    const own = (await graphql(t.app, tokens.agent!, `mutation ($id: ID!) { revokeAccessRequest(id: $id, note: "done") { status revokedBy } }`, { id: filed.id })).body;
    expect(own.data!.revokeAccessRequest).toEqual({ status: 'revoked', revokedBy: 'alice' });
    const bruno = (await graphql(t.app, tokens.agent!, `query ($id: ID!) { customer(id: $id) { address access { revealed } } }`, { id: ids.bruno })).body;
    expect(bruno.data!.customer.address).toBeNull();
    expect(bruno.data!.customer.access.revealed ?? []).not.toContain('address');
    expect(await read('agent', ids.bruno)).not.toHaveProperty('address');
  });
});
