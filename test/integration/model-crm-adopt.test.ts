import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { tableDefinition } from '../helpers/model-database.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';
import type { TestDatabase } from '../helpers/test-database.js';

// fieldguard put in front of a CRM's own table (policies/examples/crm-adopt.yaml): the
// table exists before the service, keeps its own column names, and is read and written
// through the policy, over a real port, without its definition changing at all.

/** The CRM's table as it stands before fieldguard: the DDL docs/bring-your-own-data.md shows. */
const CRM_TABLE = readFileSync(projectFile('docs', 'bring-your-own-data.md'), 'utf8').match(/```sql\n([\s\S]*?)```/)![1]!;

let t: TestApp;
let before: unknown;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

async function createCrm(database: TestDatabase) {
  await database.query('create schema crm');
  await database.query(CRM_TABLE);
  const { rows } = await database.query(
    `insert into crm.clients (full_name, email_address, phone_number, tier, annual_revenue, owner_sub)
     values ('Ada Lovelace', 'ada@example.com', '+44 20 7946 0000', 'gold', 125000, 'sam'),
            ('Alan Turing', 'alan@example.com', '+44 161 496 0000', 'basic', 9000, 'tom')
     returning client_id::text as id`,
  );
  ids.ada = rows[0].id;
  ids.alan = rows[1].id;
  before = await tableDefinition(database, 'crm.clients');
}

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/crm-adopt.yaml'), DEMO_DATA: 'false' }, { beforeStart: createCrm });
  tokens.support = await t.token('sue', 'support');
  tokens.sam = await t.token('sam', 'sales');
  tokens.admin = await t.token('root', 'admin');
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('an adopted CRM table over REST', () => {
  it('serves the rows the CRM wrote, under the model’s field names, masked for support', async () => {
    const res = await t.http({ url: `/v1/clients/${ids.ada}`, headers: as('support') });
    expect(res.statusCode, res.body).toBe(200);
    const ada = res.json();
    expect(ada).toMatchObject({ id: ids.ada, fullName: 'Ada Lovelace', email: 'a***@example.com', tier: 'gold' });
    expect(ada.phone).not.toContain('7946');
    expect(ada).not.toHaveProperty('annualRevenue');
    expect(ada._access).toEqual({ masked: ['email', 'phone'], withheld: ['annualRevenue', 'ownerSub'] });
  });

  it('shows a sales rep their own client in full and someone else’s masked', async () => {
    const own = (await t.http({ url: `/v1/clients/${ids.ada}`, headers: as('sam') })).json();
    expect(own).toMatchObject({ email: 'ada@example.com', annualRevenue: '125000.00', ownerSub: 'sam' });
    const other = (await t.http({ url: `/v1/clients/${ids.alan}`, headers: as('sam') })).json();
    expect(other.email).toBe('a***@example.com');
    expect(other).not.toHaveProperty('annualRevenue');
  });

  it('writes through the CRM’s columns, within the owner’s rights', async () => {
    const updated = await t.http({ method: 'PATCH', url: `/v1/clients/${ids.ada}`, headers: as('sam'), payload: { tier: 'platinum', annualRevenue: '130000.50' } });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ tier: 'platinum', annualRevenue: '130000.50' });
    const { rows } = await t.database.query('select tier, annual_revenue::text as revenue from crm.clients where client_id = $1', [ids.ada]);
    expect(rows[0]).toEqual({ tier: 'platinum', revenue: '130000.50' });
    const refused = await t.http({ method: 'PATCH', url: `/v1/clients/${ids.alan}`, headers: as('sam'), payload: { tier: 'gold' } });
    expect(refused.statusCode).toBe(403);
  });

  it('creates a client for the admin, and lists with a sealed cursor', async () => {
    const created = await t.http({ method: 'POST', url: '/v1/clients', headers: as('admin'), payload: { fullName: 'Grace Hopper', tier: 'basic' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.location).toBe(`/v1/clients/${created.json().id}`);
    const first = (await t.http({ url: '/v1/clients?limit=2&sort=fullName', headers: as('admin') })).json();
    expect(first.items.map((c: { fullName: string }) => c.fullName)).toEqual(['Ada Lovelace', 'Alan Turing']);
    const next = (await t.http({ url: `/v1/clients?limit=2&sort=fullName&cursor=${first.nextCursor}`, headers: as('admin') })).json();
    expect(next.items.map((c: { fullName: string }) => c.fullName)).toEqual(['Grace Hopper']);
    expect(next.nextCursor).toBeNull();
  });

  it('keeps call notes in a managed table under the adopted client, with no foreign key on the CRM’s table', async () => {
    const note = await t.http({ method: 'POST', url: '/v1/callNotes', headers: as('support'), payload: { clientId: ids.alan, body: 'Asked about invoices' } });
    expect(note.statusCode, note.body).toBe(201);
    // The author is whoever created it, set by the service, never sent.
    expect(note.json().authorSub).toBe('sue');
    const forged = await t.http({ method: 'POST', url: '/v1/callNotes', headers: as('support'), payload: { clientId: ids.alan, body: 'x', authorSub: 'sam' } });
    expect(forged.json().code).toBe('UNKNOWN_FIELD');
    const read = (await t.http({ url: `/v1/callNotes/${note.json().id}`, headers: as('support') })).json();
    expect(read).not.toHaveProperty('body');
    const admin = (await t.http({ url: `/v1/callNotes/${note.json().id}`, headers: as('admin') })).json();
    expect(admin.body).toBe('Asked about invoices');
  });

  it('exports for the admin only, and audits reads as Client events', async () => {
    expect((await t.http({ url: '/v1/clients/export', headers: as('support') })).statusCode).toBe(403);
    const csv = await t.http({ url: '/v1/clients/export?format=csv', headers: as('admin') });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('Ada Lovelace');
    const { rows } = await t.database.query(`select count(*)::int as n from audit_events where resource_type = 'Client' and action = 'read' and $1 = any(resource_ids)`, [ids.ada]);
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('serves the same rules over GraphQL: masks, the nested call notes and the ref back to the client', async () => {
    const query = `query ($id: ID!) {
      client(id: $id) { id fullName email phone annualRevenue access { masked withheld }
        callNotes(first: 5) { nodes { id authorSub body client { id fullName } } } }
    }`;
    const support = await graphql(t.app, tokens.support!, query, { id: ids.alan });
    expect(support.body.errors).toBeUndefined();
    const client = support.body.data!.client;
    expect(client).toMatchObject({ id: ids.alan, fullName: 'Alan Turing', email: 'a***@example.com', annualRevenue: null });
    expect(client.access).toEqual({ masked: ['email', 'phone'], withheld: ['annualRevenue', 'ownerSub'] });
    expect(client.callNotes.nodes).toHaveLength(1);
    expect(client.callNotes.nodes[0]).toMatchObject({ authorSub: 'sue', body: null, client: { id: ids.alan, fullName: 'Alan Turing' } });
    const own = await graphql(t.app, tokens.sam!, '{ clients(first: 10, filter: [{ field: "ownerSub", equals: "sam" }]) { nodes { fullName annualRevenue } } }');
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data!.clients.nodes).toEqual([{ fullName: 'Ada Lovelace', annualRevenue: '130000.50' }]);
  });

  it('previews a client as support would see it, for the admin, and audits the preview as a Client event', async () => {
    const res = await t.http({ method: 'POST', url: '/v1/policy/preview', headers: as('admin'), payload: { principal: { sub: 'sue', roles: ['support'] }, resource: 'Client', id: ids.ada } });
    expect(res.statusCode, res.body).toBe(200);
    const preview = res.json();
    expect(preview).toMatchObject({ visible: true, object: { fullName: 'Ada Lovelace', email: 'a***@example.com' } });
    expect(preview.object).not.toHaveProperty('annualRevenue');
    expect(preview.fields.annualRevenue.decision).toBe('withheld');
    const { rows } = await t.database.query(`select count(*)::int as n from audit_events where action = 'preview' and resource_type = 'Client'`);
    expect(rows[0].n).toBe(1);
  });

  it('never changed the adopted table’s definition', async () => {
    expect(await tableDefinition(t.database, 'crm.clients')).toEqual(before);
  });
});
