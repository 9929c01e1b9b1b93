import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { contractSchema } from '../helpers/openapi-schema.js';
import { runCli } from '../helpers/run-cli.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The record of processing over a real port: on the default policy after an agent read
// with a declared purpose and an admin export, and on the clinic model (a chunk table, a
// conditional grant on a token claim). Expected values written from the policy files.

let t: TestApp;
const headers: Record<string, Record<string, string>> = {};

async function call(who: string, url: string, status = 200, extra: Record<string, string> = {}) {
  const res = await t.http({ url, headers: { ...headers[who], ...extra } });
  expect(res.statusCode, res.body).toBe(status);
  return res;
}

const fieldOf = (inv: any, resource: string, field: string) => inv.resources.find((r: any) => r.name === resource).fields.find((f: any) => f.name === field);

describe('the record of processing of the default policy', () => {
  let inv: any;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '500', RATE_LIMIT_WINDOW_MS: '60000' });
    for (const [sub, role] of [['alice', 'agent'], ['root', 'admin'], ['dana', 'dpo']] as const) headers[sub] = { authorization: `Bearer ${await t.token(sub, role)}` };
    const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
    await call('alice', `/v1/customers/${rows[0].id}`, 200, { 'x-purpose': 'ticket 42: callback' });
    await call('alice', `/v1/customers/${rows[0].id}`, 200, { 'x-purpose': 'ticket 42: callback' });
    await call('alice', '/v1/customers?limit=2', 200, { 'x-purpose': 'monthly | review <b>' });
    await call('alice', `/v1/customers/${rows[0].id}`);
    await call('root', '/v1/customers/export?format=csv');
    await call('root', '/v1/customers/export?format=ndjson');
    inv = (await call('dana', '/v1/inventory')).json();
  });
  afterAll(() => t?.close());

  it('lists each stored field with its class, table and column, and who sees it clear, masked or not at all', () => {
    expect(contractSchema('Inventory')(inv)).toEqual([]);
    expect(inv.resources.map((r: any) => [r.name, r.storage, r.parent])).toEqual([
      ['Customer', { kind: 'table', table: 'public.customers', adopted: false, chunks: null }, null],
      ['Booking', { kind: 'table', table: 'public.bookings', adopted: false, chunks: null }, { resource: 'Customer', field: 'customerId' }],
      ['Document', { kind: 'table', table: 'public.documents', adopted: false, chunks: 'public.document_chunks' }, { resource: 'Customer', field: 'customerId' }],
    ]);
    expect(fieldOf(inv, 'Customer', 'phone')).toMatchObject({
      class: 'contact', mask: 'digits', storedIn: 'public.customers.phone',
      clear: ['admin', 'agent', 'dpo', 'manager'], masked: ['assistant'], none: ['auditor'],
    });
    expect(fieldOf(inv, 'Customer', 'phone').roles.find((v: any) => v.role === 'agent')).toEqual({
      role: 'agent', grant: 'clear', conditional: true, text: 'masked (digits); clear on records where assignees contains you',
    });
    expect(fieldOf(inv, 'Customer', 'iban')).toMatchObject({ class: 'financial', storedIn: 'public.customers.iban', clear: ['admin', 'dpo'], masked: ['manager'], none: ['agent', 'assistant', 'auditor'] });
    expect(fieldOf(inv, 'Document', 'content')).toMatchObject({ type: 'file', class: 'document', storedIn: 'public.document_chunks', clear: ['admin', 'agent', 'dpo', 'manager'] });
    // The default policy deletes bookings ten years after their start; customers and documents have no rule.
    expect(inv.resources.map((r: any) => r.retention)).toEqual([null, { after: '10y', from: 'startsAt', then: 'delete' }, null]);
  });

  it('gives the purposes declared per resource over 90 days, and who exported', () => {
    expect(inv.window.days).toBe(90);
    const customer = inv.resources.find((r: any) => r.name === 'Customer');
    // Two reads with one purpose, one list with another, one read without (and the two exports).
    expect(customer.purposes.map((p: any) => [p.purpose, p.events])).toEqual([[null, 3], ['ticket 42: callback', 2], ['monthly | review <b>', 1]]);
    expect(inv.exports.map((e: any) => [e.recipient, e.resource, e.exports, e.records])).toEqual([['root', 'Customer', 2, 24]]);
  });

  it('states the security measures: masks, read budgets, access requests, disabling, rate limit', () => {
    const s = inv.security;
    expect(s.masking).toEqual([
      { strategy: 'digits', fields: ['Customer.phone'] },
      { strategy: 'email', fields: ['Customer.email'] },
      { strategy: 'last:4', fields: ['Customer.iban', 'Customer.taxId'] },
      { strategy: 'redact', fields: ['Booking.notes', 'Customer.address', 'Customer.notes', 'Document.title'] },
    ]);
    expect(s.readBudgets).toEqual([
      { role: 'agent', resource: 'Customer', limit: 200, window: '1h', onExceed: 'block' },
      { role: 'assistant', resource: 'Customer', limit: 100, window: '1h', onExceed: 'block' },
    ]);
    expect(s.accessRequests).toContainEqual({ role: 'admin', resource: 'Customer', fields: ['iban', 'taxId'], approvers: [], maxMinutes: 60, breakGlass: true });
    expect(s.accessRequests).toContainEqual({ role: 'agent', resource: 'Customer', fields: ['address', 'iban'], approvers: ['manager'], maxMinutes: 30, breakGlass: false });
    expect(s.principalDisabling).toEqual({ roles: ['admin'], disabledNow: 0 });
    expect(s.rateLimit).toEqual({ perClient: 500, windowMs: 60000 });
    expect(s.auditTrail).toMatchObject({ appendOnly: true, hashChained: true, lastCheckpoint: null, lastVerification: null });
  });

  it('names the last checkpoint and verification once there are some', async () => {
    const eve = { authorization: `Bearer ${await t.token('eve', 'auditor')}` };
    expect((await t.http({ method: 'POST', url: '/v1/audit/checkpoints', headers: eve })).statusCode).toBe(201);
    expect((await t.http({ url: '/v1/audit/verify', headers: eve })).statusCode).toBe(200);
    const after = (await call('dana', '/v1/inventory')).json();
    expect(after.security.auditTrail.lastCheckpoint).toMatchObject({ by: 'eve' });
    expect(after.security.auditTrail.lastVerification).toMatchObject({ by: 'eve', ok: true });
  });

  it('reads as a document in markdown, a purpose from a header escaped so it cannot break a table', async () => {
    const res = await call('dana', '/v1/inventory?format=md');
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    const md = res.body;
    expect(md).toMatch(/^# Record of processing activities \(GDPR Art\. 30\)\n/);
    for (const heading of ['## The personal data held', '## Customer', '## Booking', '## Document', '### Purposes declared (last 90 days)', '## Exports and their recipients (last 90 days)', '## Security measures in force', '### Read budgets', '## About this document']) {
      expect(md).toContain(`\n${heading}\n`);
    }
    expect(md).toContain('| `phone` | contact | `public.customers.phone` | `digits` | admin, agent¹, dpo, manager | assistant | auditor |');
    expect(md).toContain('| monthly \\| review \\<b\\> | 1 |');
    expect(md).toContain('| `root` | Customer | 2 | 24 |');
    expect(md).toContain('| Customer | `public.customers` | — | 7 | not declared |');
  });

  it('is refused to an agent (403) and to a bad format (400), and every call is in the trail', async () => {
    expect((await call('alice', '/v1/inventory', 403)).json().code).toBe('FORBIDDEN');
    await call('dana', '/v1/inventory?format=pdf', 400);
    await call('dana', '/v1/inventory?days=5', 400);
    const { rows } = await t.database.query(`select actor_sub, outcome from audit_events where action = 'inventory' order by seq`);
    expect(rows.map((r) => `${r.actor_sub} ${r.outcome}`)).toEqual(['dana allowed', 'dana allowed', 'dana allowed', 'alice denied']);
  });

  it('is the same dossier from the command line, which records that it read the trail', async () => {
    const cli = await runCli('inventory', ['--format', 'md'], { DATABASE_URL: t.database.url });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^# Record of processing activities/);
    expect(cli.stdout).toContain('| `root` | Customer | 2 | 24 |');
    expect(cli.stdout).toContain('| ticket 42: callback | 2 |');
    const { rows } = await t.database.query(`select channel, details from audit_events where action = 'inventory' and channel = 'cli'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].details).toMatchObject({ format: 'md', days: 90 });
    // Without DATABASE_URL: the policy alone, and nothing recorded.
    const [json, wrong] = await Promise.all([runCli('inventory', ['--format', 'json'], { DATABASE_URL: '' }), runCli('inventory', ['--format', 'xlsx'], {})]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ window: null, exports: null, security: { auditTrail: null } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Usage: npm run inventory/);
  }, 90_000);
});

describe('the record of processing of the clinic', () => {
  let inv: any;
  beforeAll(async () => {
    t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
    headers.dpo = { authorization: `Bearer ${await t.token('dpo', 'dpo')}` };
    inv = (await call('dpo', '/v1/inventory')).json();
  });
  afterAll(() => t?.close());

  it('lists the clinic tables, the scan in its chunk table, and the specialty grant as conditional', () => {
    expect(inv.resources.map((r: any) => [r.name, r.storage.table, r.storage.chunks])).toEqual([
      ['Patient', 'public.clinic_patients', null],
      ['Consultation', 'public.consultations', null],
      ['MedicalDocument', 'public.clinic_medical_documents', 'public.medical_document_chunks'],
    ]);
    expect(fieldOf(inv, 'MedicalDocument', 'scan')).toMatchObject({ class: 'health', storedIn: 'public.medical_document_chunks', clear: ['cardiologist', 'director'], masked: [], none: ['dpo', 'reception'] });
    expect(fieldOf(inv, 'Patient', 'fullName')).toMatchObject({ class: 'identity', mask: 'initials', storedIn: 'public.clinic_patients.full_name', clear: ['cardiologist', 'director', 'reception'], masked: ['dpo'] });
    const summary = fieldOf(inv, 'Consultation', 'summary');
    expect(summary).toMatchObject({ class: 'health', clear: ['cardiologist', 'director'], masked: ['dpo'], none: ['reception'] });
    expect(inv.security.readBudgets).toEqual([{ role: 'reception', resource: 'Patient', limit: 100, window: '1h', onExceed: 'block' }]);
    expect(inv.security.accessRequests).toEqual([{ role: 'reception', resource: 'Patient', fields: ['birthDate'], approvers: ['director', '$record.assignees'], maxMinutes: 15, breakGlass: false }]);
  });
});
