import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The decisions API over a real port: records the caller keeps, decided by the default
// policy's customer rules, and a `storage: none` resource of a policy written here.

/** The default policy, a Lead kept by the caller, and roles with small budgets. */
function writePolicy(): string {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.resources.Lead = {
    plural: 'leads',
    storage: 'none',
    fields: {
      id: { type: 'id' },
      fullName: { type: 'string', class: 'identity', mask: 'initials' },
      phone: { type: 'string', class: 'contact', mask: 'digits' },
      region: { type: 'enum', values: ['north', 'south'] },
      ownerSub: { type: 'string' },
      score: { type: 'integer' },
    },
  };
  doc.roles.scout = {
    description: 'Works leads of the north, calls its own.',
    readBudget: { leads: 2, window: '1h', onExceed: 'block' },
    can: [
      { actions: ['read'], subject: 'Lead', fields: ['id', 'fullName', 'region', 'ownerSub'], when: { region: 'north' } },
      { actions: ['read_masked'], subject: 'Lead', fields: ['phone'], when: { region: 'north' } },
      // With the region too: a field rule's condition alone would make southern leads visible.
      { actions: ['read'], subject: 'Lead', fields: ['phone'], when: { region: 'north', ownerSub: '$principal.sub' } },
      { actions: ['update'], subject: 'Lead', fields: ['phone', 'score'], when: { ownerSub: '$principal.sub' } },
    ],
    cannot: [{ actions: ['delete'], subject: 'Lead', reason: 'Leads are closed in the CRM, not here.' }],
  };
  doc.roles.skimmer = { inherits: ['agent'], readBudget: { customers: 2, window: '1h', onExceed: 'block' } };
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-decisions-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

let t: TestApp;
const auth = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });
const post = async (url: string, payload: unknown, headers: Record<string, string>) => t.http({ method: 'POST', url, payload, headers });
const render = (resource: string, records: unknown[], headers: Record<string, string>) => post('/v1/decisions/render', { resource, action: 'read', records }, headers);

/** Customers as a CRM keeps them: one ordinary, one confidential assigned to bob, one assigned to alice. */
const customers = [
  { id: 'crm-101', fullName: 'Elvira Alves', email: 'elvira@example.com', phone: '+39 347 123 4567', iban: 'IT60X0542811101000000123456', privacyLevel: 'standard', assignees: [] },
  { id: 'crm-102', fullName: 'Secret Person', phone: '+39 347 765 4321', privacyLevel: 'confidential', assignees: ['bob'] },
  { id: 'crm-103', fullName: 'Marco Bassi', phone: '+39 333 000 1111', privacyLevel: 'standard', assignees: ['alice'] },
];

const eventsOf = async (actor: string, action: string) =>
  (await t.database.query(`select resource_type, resource_ids, outcome, reason, fields_clear, fields_masked, fields_withheld, details from audit_events where actor_sub = $1 and action = $2 order by seq`, [actor, action])).rows;

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: writePolicy() });
});
afterAll(async () => {
  await t?.close();
});

describe('POST /v1/decisions/render', () => {
  it('renders what an agent may see, masked, drops the confidential record with its count, and audits it', async () => {
    const res = await render('Customer', customers, { ...(await auth('alice', 'agent')), 'x-purpose': 'crm screen' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.dropped).toBe(1);
    expect(body.items).toEqual([
      {
        id: 'crm-101',
        fullName: 'Elvira Alves',
        email: 'elvira@example.com',
        phone: '+39 XXX XXX XXXX',
        privacyLevel: 'standard',
        _access: { masked: ['phone'], withheld: ['address', 'iban', 'taxId', 'assignees'] },
      },
      // Assigned to alice: the phone in clear. Fields not sent stay out of the answer.
      { id: 'crm-103', fullName: 'Marco Bassi', phone: '+39 333 000 1111', privacyLevel: 'standard', _access: { masked: [], withheld: ['address', 'iban', 'taxId', 'assignees'] } },
    ]);
    expect(res.body).not.toContain('Secret Person');
    expect(res.body).not.toContain('IT60X');

    const events = await eventsOf('alice', 'list');
    expect(events).toEqual([
      expect.objectContaining({ resource_type: 'Customer', resource_ids: ['crm-101', 'crm-103'], outcome: 'allowed', fields_masked: ['phone'], details: { source: 'caller', records: 3, dropped: 1 } }),
      expect.objectContaining({ resource_type: 'Customer', resource_ids: ['crm-102'], outcome: 'denied', details: { source: 'caller', records: 3, dropped: 1 } }),
    ]);
    expect(events[0].fields_withheld).toEqual(expect.arrayContaining(['iban', 'assignees']));
    const [{ purpose }] = (await t.database.query(`select purpose from audit_events where actor_sub = 'alice' and action = 'list' limit 1`)).rows;
    expect(purpose).toBe('crm screen');
  });

  it('shows an admin everything in clear', async () => {
    const res = await render('Customer', customers, await auth('root', 'admin'));
    expect(res.statusCode).toBe(200);
    expect(res.json().dropped).toBe(0);
    expect(res.json().items.map((c: any) => c.phone)).toEqual(['+39 347 123 4567', '+39 347 765 4321', '+39 333 000 1111']);
    expect(res.json().items[0]).toMatchObject({ iban: 'IT60X0542811101000000123456', _access: { masked: [], withheld: [] } });
  });

  it('counts the records against the read budget and blocks beyond it', async () => {
    const skimmer = await auth('sam', 'skimmer');
    expect((await render('Customer', [customers[0]], skimmer)).statusCode).toBe(200);
    // The same record again costs nothing; a second one fills the budget of two.
    expect((await render('Customer', [customers[0], customers[2]], skimmer)).statusCode).toBe(200);
    const over = await render('Customer', [{ ...customers[0], id: 'crm-104' }], skimmer);
    expect(over.statusCode).toBe(429);
    expect(over.json().code).toBe('BUDGET_EXCEEDED');
    expect(over.headers['retry-after']).toBeDefined();
    const { rows } = await t.database.query(`select action, outcome from audit_events where actor_sub = 'sam' order by seq`);
    expect(rows.map((r) => `${r.action} ${r.outcome}`)).toEqual(['list allowed', 'list allowed', 'anomaly.bulk_access denied', 'list denied']);
    // The refused render is told apart from a refused page of our own customers.
    const [refusal] = (await t.database.query(`select details from audit_events where actor_sub = 'sam' and action = 'list' and outcome = 'denied'`)).rows;
    expect(refusal.details).toEqual({ source: 'caller' });
  });

  it('refuses a role that reads no customers, audited as a denied list', async () => {
    const res = await render('Customer', customers, await auth('eve', 'auditor'));
    expect(res.statusCode).toBe(403);
    expect(await eventsOf('eve', 'list')).toEqual([expect.objectContaining({ outcome: 'denied', resource_ids: [], details: { source: 'caller' } })]);
  });

  it('refuses bad input with 400, naming the place and never the value', async () => {
    const agent = await auth('alice', 'agent');
    const cases: Array<[unknown, string, RegExp]> = [
      [{ resource: 'Customer', action: 'read', records: [{ id: 'x', privacyLevel: 'standard', assignees: [], shoeSize: 'secret-value-44' }] }, 'UNKNOWN_FIELD', /records\/0\/shoeSize/],
      [{ resource: 'Customer', action: 'read', records: [{ fullName: 'secret-value-no-id', privacyLevel: null, assignees: [] }] }, 'VALIDATION_FAILED', /records\/0\/id/],
      [{ resource: 'Customer', action: 'read', records: [{ id: 'x', fullName: 'secret-value-missing-condition-fields' }] }, 'VALIDATION_FAILED', /records\/0\/privacyLevel/],
      [{ resource: 'Customer', action: 'read', records: [{ id: 'x', privacyLevel: 'standard', assignees: 'secret-value-not-a-list' }] }, 'VALIDATION_FAILED', /records\/0\/assignees/],
      [{ resource: 'Customer', action: 'read', records: ['secret-value-not-an-object'] }, 'VALIDATION_FAILED', /records\/0/],
      [{ resource: 'Customer', action: 'read', records: [] }, 'VALIDATION_FAILED', /records/],
      [{ resource: 'Customer', action: 'read', records: Array.from({ length: 501 }, (_, i) => ({ id: `c${i}` })) }, 'VALIDATION_FAILED', /records/],
      [{ resource: 'Customer', action: 'update', records: [{ id: 'x' }] }, 'VALIDATION_FAILED', /action/],
      [{ resource: 'AuditEvent', action: 'read', records: [{ id: 'x' }] }, 'VALIDATION_FAILED', /resource/],
      [{ resource: 'Customer', action: 'read', records: [{ id: 'x' }], extra: 1 }, 'VALIDATION_FAILED', /extra/],
      [{ resource: 'Customer', action: 'read', records: [{ id: 'x', fullName: 'a\u0000b', privacyLevel: null, assignees: [] }] }, 'VALIDATION_FAILED', /NUL/],
    ];
    for (const [payload, code, where] of cases) {
      const res = await post('/v1/decisions/render', payload, agent);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().code, res.body).toBe(code);
      expect(res.body).toMatch(where);
      expect(res.body).not.toContain('secret-value');
    }
  });

  it('asks for a token before anything else', async () => {
    const res = await t.http({ method: 'POST', url: '/v1/decisions/render', payload: { resource: 'Customer', action: 'read', records: customers } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect((await t.http({ method: 'POST', url: '/v1/decisions/check', payload: {} })).statusCode).toBe(401);
  });
});

describe('POST /v1/decisions/check', () => {
  it('answers per record and action, with the policy\'s reasons and the writable fields', async () => {
    const res = await post('/v1/decisions/check', { resource: 'Customer', actions: ['read', 'update', 'delete', 'export'], records: customers }, await auth('alice', 'agent'));
    expect(res.statusCode, res.body).toBe(200);
    const [ordinary, confidential, own] = res.json().results;
    expect(ordinary).toEqual({
      id: 'crm-101',
      actions: {
        read: { allowed: true },
        update: { allowed: true, fields: ['email', 'phone', 'notes', 'marketingOptOut'] },
        delete: { allowed: false, reason: 'Only administrators may delete customer records.' },
        export: { allowed: false, reason: 'Bulk export is reserved for administrators.' },
      },
    });
    expect(confidential.actions.read.allowed).toBe(false);
    expect(confidential.actions.update).toEqual({ allowed: false, reason: 'The Customer does not exist for you, so you may not update it.' });
    expect(own.actions.update.allowed).toBe(true);
    expect(await eventsOf('alice', 'check')).toEqual([
      expect.objectContaining({ resource_type: 'Customer', resource_ids: ['crm-101', 'crm-102', 'crm-103'], outcome: 'allowed', details: { source: 'caller', actions: ['read', 'update', 'delete', 'export'], records: 3, refused: 8 } }),
    ]);
  });

  it('gives an assistant the reason it may not edit, and an admin every writable field', async () => {
    const assistant = (await post('/v1/decisions/check', { resource: 'Customer', actions: ['create', 'update'], records: [customers[0]] }, await auth('rita', 'assistant'))).json();
    expect(assistant.results[0].actions).toEqual({
      create: { allowed: false, reason: 'Your role may view customers but not create or edit them.' },
      update: { allowed: false, reason: 'Your role may view customers but not create or edit them.' },
    });
    const admin = (await post('/v1/decisions/check', { resource: 'Customer', actions: ['update'], records: [customers[1]] }, await auth('root', 'admin'))).json();
    // Ids and generated timestamps are never writable, whatever the rules grant.
    expect(admin.results[0].actions.update.fields).toEqual(['fullName', 'email', 'phone', 'address', 'iban', 'taxId', 'notes', 'privacyLevel', 'assignees', 'marketingOptOut']);
  });

  it('refuses unknown actions', async () => {
    const res = await post('/v1/decisions/check', { resource: 'Customer', actions: ['launch'], records: [customers[0]] }, await auth('alice', 'agent'));
    expect(res.statusCode).toBe(400);
  });
});

describe('a storage: none resource', () => {
  const leads = [
    { id: 7, fullName: 'Nora North', phone: '+39 340 111 2222', region: 'north', ownerSub: 'sue', score: 3 },
    { id: 8, fullName: 'Ned North', phone: '+39 340 333 4444', region: 'north', ownerSub: 'tom', score: 5 },
    { id: 9, fullName: 'Sam South', phone: '+39 340 555 6666', region: 'south', ownerSub: 'sue', score: 1 },
  ];

  it('has no table and no routes of its own', async () => {
    const { rows } = await t.database.query(`select count(*)::int as n from information_schema.tables where table_name = 'leads'`);
    expect(rows[0].n).toBe(0);
    const admin = await auth('root', 'admin');
    expect((await t.http({ url: '/v1/leads', headers: admin })).statusCode).toBe(404);
    const openapi = (await t.http({ url: '/openapi.json', headers: admin })).json();
    expect(Object.keys(openapi.paths).filter((p) => p.includes('lead'))).toEqual([]);
    // ...but the decisions API names it among the resources it decides.
    expect(openapi.components.schemas.DecisionResource.enum).toEqual(['Customer', 'Booking', 'Document', 'Lead']);
  });

  it('is rendered, checked, budgeted and audited like any other', async () => {
    const sue = await auth('sue', 'scout');
    const res = await render('Lead', leads, sue);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      dropped: 1,
      items: [
        { id: 7, fullName: 'Nora North', phone: '+39 340 111 2222', region: 'north', ownerSub: 'sue', _access: { masked: [], withheld: ['score'] } },
        { id: 8, fullName: 'Ned North', phone: '+39 XXX XXX XXXX', region: 'north', ownerSub: 'tom', _access: { masked: ['phone'], withheld: ['score'] } },
      ],
    });
    expect(await eventsOf('sue', 'list')).toEqual([
      expect.objectContaining({ resource_type: 'Lead', resource_ids: ['7', '8'], outcome: 'allowed' }),
      expect.objectContaining({ resource_type: 'Lead', resource_ids: ['9'], outcome: 'denied' }),
    ]);
    // Two leads is the scout's budget: a third is refused.
    const over = await render('Lead', [{ ...leads[0], id: 10 }], sue);
    expect(over.statusCode).toBe(429);

    const check = (await post('/v1/decisions/check', { resource: 'Lead', actions: ['update', 'delete'], records: leads.slice(0, 2) }, sue)).json();
    expect(check.results).toEqual([
      { id: '7', actions: { update: { allowed: true, fields: ['phone', 'score'] }, delete: { allowed: false, reason: 'Leads are closed in the CRM, not here.' } } },
      { id: '8', actions: { update: { allowed: false, reason: 'Your roles do not allow update on Lead.' }, delete: { allowed: false, reason: 'Leads are closed in the CRM, not here.' } } },
    ]);
  });

  it('checks each record against the resource\'s typed fields', async () => {
    const res = await render('Lead', [{ id: 1, region: 'north', ownerSub: 'sue', score: 'many' }], await auth('sue', 'scout'));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ pointer: '/records/0/score', detail: 'must be an integer or null' }]);
  });
});
