import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrm, type CrmCustomer } from '../../clients/typescript/examples/crm-route.js';
import { FieldguardClient, FieldguardError } from '../../clients/typescript/src/index.js';
import { listenOnLoopback } from '../helpers/http-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The TypeScript client and its CRM example against the real service on a real port,
// with the global fetch: what a CRM developer runs.

let t: TestApp;
let baseUrl: string;
let crm: Server;
const client = async (sub: string, role: string) => new FieldguardClient({ baseUrl, token: await t.token(sub, role), purpose: 'client test' });

const kept: CrmCustomer[] = [
  { id: 'crm-1', fullName: 'Elvira Alves', email: 'elvira@example.com', phone: '+39 347 123 4567', privacyLevel: 'standard', assignees: [] },
  { id: 'crm-2', fullName: 'Private Client', email: null, phone: '+39 347 765 4321', privacyLevel: 'confidential', assignees: ['bob'] },
];

beforeAll(async () => {
  t = await startTestApp();
  baseUrl = await listenOnLoopback(t.app);
  crm = startCrm(baseUrl, { all: async () => kept });
  await new Promise((resolve) => crm.once('listening', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => crm?.close(resolve));
  await t?.close();
});

describe('the TypeScript client', () => {
  it('renders and checks records the CRM keeps', async () => {
    const agent = await client('alice', 'agent');
    const rendered = await agent.render('Customer', kept);
    expect(rendered.dropped).toBe(1);
    expect(rendered.items).toEqual([
      { id: 'crm-1', fullName: 'Elvira Alves', email: 'elvira@example.com', phone: '+39 XXX XXX XXXX', privacyLevel: 'standard', _access: { masked: ['phone'], withheld: ['address', 'iban', 'taxId', 'assignees'] } },
    ]);
    const checked = await agent.check('Customer', ['update', 'delete'], kept.slice(0, 1));
    expect(checked.results[0]!.actions).toEqual({
      update: { allowed: true, fields: ['email', 'phone', 'notes', 'marketingOptOut'] },
      delete: { allowed: false, reason: 'Only administrators may delete customer records.' },
    });
    const { rows } = await t.database.query(`select action, purpose from audit_events where actor_sub = 'alice' order by seq`);
    expect(rows).toEqual([
      { action: 'list', purpose: 'client test' },
      { action: 'list', purpose: 'client test' },
      { action: 'check', purpose: 'client test' },
    ]);
  });

  it('reads and writes stored records through the generated routes', async () => {
    const manager = await client('carol', 'manager');
    const page = await manager.list('customers', { limit: 2, filter: { fullName: 'Giulia Marchetti' } });
    expect(page.items).toHaveLength(1);
    const id = page.items[0]!.id as string;
    expect((await manager.get('customers', id)).fullName).toBe('Giulia Marchetti');
    const created = await manager.create<CrmCustomer>('customers', { fullName: 'Client Test' });
    const updated = await manager.update<CrmCustomer>('customers', created.id as string, { phone: '+39 333 111 2222' });
    expect(updated.phone).toBe('+39 333 111 2222');
    await (await client('root', 'admin')).remove('customers', created.id as string);
    await expect(manager.get('customers', created.id as string)).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('throws a FieldguardError with the problem document', async () => {
    const err = await (await client('alice', 'agent')).render('Customer', [{ id: 'x', privacyLevel: null, assignees: [], shoeSize: 44 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FieldguardError);
    expect(err).toMatchObject({ status: 400, code: 'UNKNOWN_FIELD' });
    const anonymous = new FieldguardClient({ baseUrl, token: 'not-a-token' });
    await expect(anonymous.list('customers')).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('the CRM route example', () => {
  const crmGet = async (token?: string) => {
    const { port } = crm.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/crm/customers`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('shows each user what the policy lets them see of the CRM\'s own records', async () => {
    const asAgent = await crmGet(await t.token('dan', 'agent'));
    expect(asAgent.status).toBe(200);
    expect(asAgent.body.hidden).toBe(1);
    expect(asAgent.body.customers.map((c: any) => c.phone)).toEqual(['+39 XXX XXX XXXX']);
    const asAdmin = await crmGet(await t.token('root', 'admin'));
    expect(asAdmin.body.customers.map((c: any) => c.phone)).toEqual(['+39 347 123 4567', '+39 347 765 4321']);
    const { rows } = await t.database.query(`select resource_ids, purpose from audit_events where actor_sub = 'dan' and action = 'list' and outcome = 'allowed'`);
    expect(rows).toEqual([{ resource_ids: ['crm-1'], purpose: 'CRM customer list' }]);
  });

  it('passes on fieldguard\'s refusals', async () => {
    expect((await crmGet()).status).toBe(401);
    const asAuditor = await crmGet(await t.token('eve', 'auditor'));
    expect(asAuditor).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } });
  });
});
