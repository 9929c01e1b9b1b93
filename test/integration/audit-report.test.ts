import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let giuliaId: string;
let bobsConfidentialId: string;
let listed: string[];
let exportedSha: string;

const call = async (url: string, sub: string, ...roles: string[]) =>
  t.http({ url, headers: { authorization: `Bearer ${await t.token(sub, ...roles)}` } });
const reportOn = (query: string, sub = 'eve', role = 'auditor') => call(`/v1/audit/report?${query}`, sub, role);

beforeAll(async () => {
  t = await startTestApp();
  const { rows } = await t.database.query(`select id, full_name, assignees from customers`);
  giuliaId = rows.find((r) => r.full_name === 'Giulia Marchetti').id;
  bobsConfidentialId = rows.find((r) => r.assignees.includes('bob')).id;

  // frank (assigned to no customer, so phones are masked on every row): one REST read,
  // one GraphQL page, a 404 and a 403.
  expect((await call(`/v1/customers/${giuliaId}`, 'frank', 'agent')).statusCode).toBe(200);
  const page = await graphql(t.app, await t.token('frank', 'agent'), '{ customers(first: 3) { nodes { id } } }');
  listed = page.body.data!.customers.nodes.map((n: { id: string }) => n.id);
  expect((await call(`/v1/customers/${bobsConfidentialId}`, 'frank', 'agent')).statusCode).toBe(404);
  expect((await call('/v1/customers/export', 'frank', 'agent')).statusCode).toBe(403);
  // root: one CSV export.
  const exported = await call('/v1/customers/export?format=csv', 'root', 'admin');
  exportedSha = createHash('sha256').update(exported.rawPayload).digest('hex');
});
afterAll(() => t?.close());

describe('GET /v1/audit/report', () => {
  it('summarises what one person accessed: customers, fields clear/masked, denials', async () => {
    const res = await reportOn('actor=frank');
    expect(res.statusCode).toBe(200);
    const report = res.json();
    const seen = [...new Set([giuliaId, ...listed])].sort();
    expect(report).toMatchObject({ actor: 'frank', from: null, customers: { count: seen.length, ids: seen }, denials: 2, exports: [], anomalies: [] });
    expect(report.fields.phone).toEqual({ clear: 0, masked: 2 });
    expect(report.fields.email).toEqual({ clear: 2, masked: 0 });
    expect(report.fields.iban).toBeUndefined();
    expect(report.actions).toEqual(
      expect.arrayContaining([
        { action: 'read', outcome: 'allowed', count: 1 },
        { action: 'read', outcome: 'denied', count: 1 },
        { action: 'export', outcome: 'denied', count: 1 },
        { action: 'list', outcome: 'allowed', count: 1 },
      ]),
    );
  });

  it('lists exports with format, rows and the sha256 of the file that left', async () => {
    const report = (await reportOn('actor=root', 'ada', 'admin')).json();
    expect(report.customers.count).toBe(12);
    expect(report.exports).toEqual([
      expect.objectContaining({ format: 'csv', rows: 12, status: 'completed', sha256: exportedSha, bytes: expect.any(Number) }),
    ]);
    expect(report.exports[0].fieldsClear).toContain('iban');
  });

  it('limits the summary to the period asked for', async () => {
    const before = await reportOn('actor=frank&from=2020-01-01&to=2020-12-31');
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ from: '2020-01-01T00:00:00.000Z', to: '2020-12-31T23:59:59.999Z', customers: { count: 0 }, denials: 0 });
    const now = await reportOn(`actor=frank&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
    expect(now.json().customers.count).toBeGreaterThan(0);
  });

  it('is audited, naming whom the report was about', async () => {
    const { rows } = await t.database.query(`select * from audit_events where actor_sub = 'eve' and action = 'report' and outcome = 'allowed'`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0].details).toMatchObject({ actor: 'frank' });
  });

  it.each([
    ['no actor', 'from=2026-01-01'],
    ['an empty actor', 'actor='],
    ['a date that is not ISO 8601', 'actor=frank&from=yesterday'],
    ['from after to', 'actor=frank&from=2026-02-01&to=2026-01-01'],
    ['an unknown parameter', 'actor=frank&user=bob'],
  ])('answers 400 to %s', async (_what, query) => {
    const res = await reportOn(query);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it.each([['agent', 'frank'], ['manager', 'carol']])('refuses %s with 403, audited as a denial', async (role, sub) => {
    const res = await reportOn('actor=root', sub, role);
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('customers');
    const { rows } = await t.database.query(`select * from audit_events where actor_sub = $1 and action = 'report'`, [sub]);
    expect(rows).toEqual([expect.objectContaining({ outcome: 'denied', resource_type: 'AuditEvent' })]);
  });

  it('needs a token', async () => {
    expect((await t.http({ url: '/v1/audit/report?actor=frank' })).statusCode).toBe(401);
  });
});
