import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let giuliaId: string;
let luca: string;
let confidentialId: string;

beforeAll(async () => {
  t = await startTestApp();
  const { rows } = await t.database.query(`select id, full_name from customers`);
  const idOf = (name: string) => rows.find((r) => r.full_name === name).id as string;
  giuliaId = idOf('Giulia Marchetti');
  luca = idOf('Luca Bernardi');
  confidentialId = idOf('Vittoria Colonna');
});
afterAll(() => t?.close());

const send = async (method: 'POST' | 'PATCH' | 'DELETE', url: string, sub: string, role: string, payload?: object) =>
  t.http({ method, url, payload, headers: { authorization: `Bearer ${await t.token(sub, role)}` } });

const stored = async (id: string) => (await t.database.query('select * from customers where id = $1', [id])).rows[0];

describe('create', () => {
  it('lets a manager create a customer and returns it rendered by the read policy (201)', async () => {
    const res = await send('POST', '/v1/customers', 'carol', 'manager', { fullName: 'Nina Sartori', phone: '+39 320 555 1212', iban: 'IT60X0542811101000000999888' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.fullName).toBe('Nina Sartori');
    expect(body.phone).toBe('+39 320 555 1212');
    expect(body.iban).toBe('XXXXXXXXXXXXXXXXXXXXXXX9888');
    expect((await stored(body.id)).iban).toBe('IT60X0542811101000000999888');
    expect(res.headers.location).toBe(`/v1/customers/${body.id}`);
  });

  it('checks the right to create before validating, so a role without it learns nothing', async () => {
    const res = await send('POST', '/v1/customers', 'dora', 'assistant', { bogus: 1 });
    expect(res.statusCode).toBe(403);
  });

  it('accepts JSON bodies only (415 otherwise)', async () => {
    const res = await t.http({
      method: 'POST',
      url: '/v1/customers',
      payload: 'fullName=A',
      headers: { authorization: `Bearer ${await t.token('root', 'admin')}`, 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses create for an agent (403 with the policy reason) and for an assistant, through both doors', async () => {
    const res = await send('POST', '/v1/customers', 'alice', 'agent', { fullName: 'X Y' });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toBe('Your role may view customers but not create or edit them.');
    const gql = await graphql(t.app, await t.token('dora', 'assistant'), `mutation { createCustomer(input: { fullName: "X Y" }) { id } }`);
    expect(gql.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('rejects unknown and read-only fields with 400 naming them (no mass assignment)', async () => {
    const res = await send('POST', '/v1/customers', 'root', 'admin', { fullName: 'A B', isVip: true, createdAt: '2020-01-01' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'UNKNOWN_FIELD', fields: ['isVip', 'createdAt'] });
  });

  it('rejects invalid values without echoing them', async () => {
    const res = await send('POST', '/v1/customers', 'root', 'admin', { fullName: 'A B', email: 'secret-not-an-email' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.body).not.toContain('secret-not-an-email');
  });

  it('holds the lengths the default policy model gives (maxLength), naming the field', async () => {
    for (const [field, length] of [['fullName', 201], ['taxId', 33], ['address', 501], ['notes', 5001]] as const) {
      const body = { fullName: 'A B', [field]: 'x'.repeat(length) };
      const res = await send('POST', '/v1/customers', 'root', 'admin', body);
      expect(res.statusCode, field).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', fields: [field] });
    }
    expect((await send('POST', '/v1/customers', 'root', 'admin', { fullName: 'x'.repeat(200) })).statusCode).toBe(201);
  });
});

describe('update', () => {
  it('lets an agent update the fields it may write, and returns the masked view', async () => {
    const res = await send('PATCH', `/v1/customers/${luca}`, 'alice', 'agent', { phone: '+39 333 000 1111', notes: 'Moved to Rome.' });
    expect(res.statusCode).toBe(200);
    expect(res.json().phone).toBe('+39 XXX XXX XXXX');
    expect(res.json().notes).toBe('Moved to Rome.');
    const row = await stored(luca);
    expect(row.phone).toBe('+39 333 000 1111');
    expect(row.updated_at.getTime()).toBeGreaterThan(row.created_at.getTime());
  });

  it('refuses fields the role may not write with 403 naming them, and changes nothing', async () => {
    const before = await stored(luca);
    const res = await send('PATCH', `/v1/customers/${luca}`, 'alice', 'agent', { iban: 'DE89370400440532013000', notes: 'x' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'FIELD_NOT_WRITABLE', fields: ['iban'] });
    expect(await stored(luca)).toEqual(before);
  });

  it('refuses an update that names no field', async () => {
    const res = await send('PATCH', `/v1/customers/${luca}`, 'alice', 'agent', {});
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('refuses a masked value sent back, for every masked field', async () => {
    const masked: Array<[string, string]> = [['phone', '+39 XXX XXX XXXX'], ['email', 'g***@example.com'], ['iban', 'XXXXXXXXXXXXXXXXXXXXXXX3456']];
    for (const [field, value] of masked) {
      const res = await send('PATCH', `/v1/customers/${giuliaId}`, 'root', 'admin', { [field]: value });
      expect(res.statusCode, field).toBe(400);
      expect(res.json()).toMatchObject({ code: 'MASKED_VALUE', fields: [field] });
    }
    expect((await stored(giuliaId)).phone).toBe('+39 347 123 4567');
  });

  it('refuses updates by an assistant with the policy reason, in REST and GraphQL', async () => {
    const res = await send('PATCH', `/v1/customers/${giuliaId}`, 'dora', 'assistant', { notes: 'x' });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toBe('Your role may view customers but not create or edit them.');
    const gql = await graphql(t.app, await t.token('dora', 'assistant'), `mutation($id: ID!) { updateCustomer(id: $id, input: { notes: "x" }) { id } }`, { id: giuliaId });
    expect(gql.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('answers 404 for a confidential customer the caller is not assigned to, even for a manager', async () => {
    const res = await send('PATCH', `/v1/customers/${confidentialId}`, 'carol', 'manager', { notes: 'x' });
    expect(res.statusCode).toBe(404);
    const ok = await send('PATCH', `/v1/customers/${confidentialId}`, 'alice', 'agent', { notes: 'Hearing moved.' });
    expect(ok.statusCode).toBe(200);
  });

  it('works through GraphQL with the same rules', async () => {
    const token = await t.token('alice', 'agent');
    const ok = await graphql(t.app, token, `mutation($id: ID!) { updateCustomer(id: $id, input: { marketingOptOut: true }) { marketingOptOut phone iban access { masked withheld } } }`, { id: giuliaId });
    expect(ok.body.data!.updateCustomer).toMatchObject({ marketingOptOut: true, phone: '+39 XXX XXX XXXX', iban: null });
    const denied = await graphql(t.app, token, `mutation($id: ID!) { updateCustomer(id: $id, input: { taxId: "X1" }) { id } }`, { id: giuliaId });
    expect(denied.body.errors?.[0].extensions).toMatchObject({ code: 'FIELD_NOT_WRITABLE', fields: ['taxId'] });
  });
});

describe('delete', () => {
  it('is refused to a manager (403) and allowed to an admin (204), then the record is gone', async () => {
    const created = await send('POST', '/v1/customers', 'root', 'admin', { fullName: 'Temp Person' });
    const id = created.json().id as string;
    const denied = await send('DELETE', `/v1/customers/${id}`, 'carol', 'manager');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().detail).toBe('Only administrators may delete customer records.');
    const ok = await send('DELETE', `/v1/customers/${id}`, 'root', 'admin');
    expect(ok.statusCode).toBe(204);
    expect(await stored(id)).toBeUndefined();
    expect((await send('DELETE', `/v1/customers/${id}`, 'root', 'admin')).statusCode).toBe(404);
  });

  it('works through GraphQL', async () => {
    const created = await send('POST', '/v1/customers', 'root', 'admin', { fullName: 'Temp Two' });
    const gql = await graphql(t.app, await t.token('root', 'admin'), `mutation($id: ID!) { deleteCustomer(id: $id) }`, { id: created.json().id });
    expect(gql.body.data!.deleteCustomer).toBe(true);
  });
});
