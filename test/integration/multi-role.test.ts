import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const headers = async (sub: string, roles: string[]) => ({ authorization: `Bearer ${await t.idp.sign({ sub, roles })}` });

describe('a principal holding several roles', () => {
  it.each([[['admin', 'assistant']], [['assistant', 'admin']]])('%j keeps every right of the senior role, whatever the order', async (roles) => {
    const h = await headers('root', roles);
    expect((await t.http({ url: '/v1/customers/export?format=ndjson', headers: h })).statusCode).toBe(200);
    const created = await t.http({ method: 'POST', url: '/v1/customers', headers: h, payload: { fullName: 'Multi Role' } });
    expect(created.statusCode).toBe(201);
    expect((await t.http({ method: 'DELETE', url: `/v1/customers/${created.json().id}`, headers: h })).statusCode).toBe(204);
  });

  it('gets the union of unrelated roles, in REST and GraphQL', async () => {
    const h = await headers('eve', ['auditor', 'agent']);
    expect((await t.http({ url: '/v1/audit/events?limit=1', headers: h })).statusCode).toBe(200);
    const list = await t.http({ url: '/v1/customers?limit=100', headers: h });
    expect(list.statusCode).toBe(200);
    expect(list.json().items[0]._access.masked).toEqual(['phone']);
    const gql = await graphql(t.app, await t.idp.sign({ sub: 'eve', roles: ['agent', 'auditor'] }), '{ customers(first: 1) { nodes { phone access { masked } } } }');
    expect(gql.body.data!.customers.nodes[0].access.masked).toEqual(['phone']);
  });

  it('a manager who is also an agent can still create (the lesser role removes nothing)', async () => {
    const res = await t.http({ method: 'POST', url: '/v1/customers', headers: await headers('carol', ['manager', 'agent']), payload: { fullName: 'By Carol' } });
    expect(res.statusCode).toBe(201);
  });

  it('an unknown role next to a known one changes nothing', async () => {
    const res = await t.http({ url: '/v1/customers/export', headers: await headers('alice', ['agent', 'superuser']) });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toBe('Bulk export is reserved for administrators.');
  });
});
