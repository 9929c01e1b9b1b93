import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify, parse } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import type { HttpRequest } from './http-client.js';
import { graphql, type TestApp } from './test-app.js';

/**
 * Drives a real app through every kind of audit event it writes, allowed and denied,
 * over REST and GraphQL, so the feed tests check what the service really emits. Each
 * call asserts its status, so a step that stops doing what it says fails here rather
 * than silently dropping a kind from the feed. The CLI's checkpoint and an aborted
 * export are in audit-scenario-extra.ts.
 */

/** The default policy plus two roles with a budget of one customer, one blocking and one alerting. */
export function writeScenarioPolicy(): string {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.roles.skimmer = { inherits: ['agent'], readBudget: { customers: 1, window: '1h', onExceed: 'block' } };
  doc.roles.glancer = { inherits: ['agent'], readBudget: { customers: 1, window: '1h', onExceed: 'alert' } };
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-standards-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

export async function driveEveryEventKind(t: TestApp, policyFile: string): Promise<void> {
  const as = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });
  const [root, carol, alice, rita, eve] = await Promise.all([as('root', 'admin'), as('carol', 'manager'), as('alice', 'agent'), as('rita', 'assistant'), as('eve', 'auditor')]);
  const call = async (status: number, req: HttpRequest, headers: Record<string, string>) => {
    const res = await t.http({ ...req, headers: { ...headers, 'user-agent': 'standards-test/1.0', ...req.headers } });
    expect(res.statusCode, `${req.method ?? 'GET'} ${req.url}: ${res.body}`).toBe(status);
    return res;
  };
  const { rows } = await t.database.query(`select id, full_name from customers`);
  const giulia = rows.find((r) => r.full_name === 'Giulia Marchetti').id as string;

  // A credential that fails verification: authenticate, denied, no subject.
  await call(401, { url: '/v1/customers' }, { authorization: 'Bearer not-a-token' });

  // Customers: read, list (with and without results), create, update, delete, export
  // (the app runs with EXPORT_AUDIT_CHUNK=5, so the twelve customers add export.records).
  await call(200, { url: `/v1/customers/${giulia}` }, { ...alice, 'x-purpose': 'ticket 7' });
  await call(404, { url: `/v1/customers/${NO_SUCH_ID}` }, alice);
  await call(200, { url: '/v1/customers?limit=3' }, alice);
  await call(200, { url: '/v1/customers?filter[email]=nobody@example.com' }, alice);
  await call(403, { url: '/v1/customers' }, eve);
  const created = (await call(201, { method: 'POST', url: '/v1/customers', payload: { fullName: 'Contract Test' } }, carol)).json();
  await call(403, { method: 'POST', url: '/v1/customers', payload: { fullName: 'Nope' } }, rita);
  await call(200, { method: 'PATCH', url: `/v1/customers/${created.id}`, payload: { notes: 'checked' } }, carol);
  await call(403, { method: 'PATCH', url: `/v1/customers/${created.id}`, payload: { notes: 'nope' } }, rita);
  await call(403, { method: 'DELETE', url: `/v1/customers/${created.id}` }, alice);
  await call(204, { method: 'DELETE', url: `/v1/customers/${created.id}` }, root);
  await call(200, { url: '/v1/customers/export?format=csv' }, root);
  await call(403, { url: '/v1/customers/export' }, alice);
  // The marketing audience: a manager's, and refused to an agent.
  await call(200, { url: '/v1/audiences/Customer/marketing?format=ndjson' }, carol);
  await call(403, { url: '/v1/audiences/Customer/marketing' }, alice);

  // Bookings: the same verbs on another resource type.
  const at = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const booking = { customerId: giulia, staffSub: 'sara', service: 'Colour', startsAt: at(3), endsAt: at(3.1) };
  const made = (await call(201, { method: 'POST', url: '/v1/bookings', payload: booking }, alice)).json();
  await call(200, { url: `/v1/bookings/${made.id}` }, alice);
  await call(200, { url: '/v1/bookings' }, rita);
  await call(403, { method: 'PATCH', url: `/v1/bookings/${made.id}`, payload: { service: 'Cut' } }, rita);
  await call(200, { method: 'PATCH', url: `/v1/bookings/${made.id}`, payload: { service: 'Cut' } }, alice);
  await call(403, { method: 'DELETE', url: `/v1/bookings/${made.id}` }, rita);
  await call(204, { method: 'DELETE', url: `/v1/bookings/${made.id}` }, carol);

  // Documents: upload, metadata read and list, download, delete.
  const upload = { method: 'POST', url: `/v1/customers/${giulia}/documents`, payload: Buffer.from('invoice 7'), headers: { 'content-type': 'text/plain', 'x-document-title': 'Invoice 7', 'x-document-category': 'invoice' } };
  const doc = (await call(201, upload, root)).json();
  await call(403, upload, rita);
  await call(200, { url: `/v1/documents/${doc.id}` }, rita);
  await call(200, { url: `/v1/customers/${giulia}/documents` }, alice);
  await call(200, { url: `/v1/documents/${doc.id}/content` }, alice);
  await call(403, { url: `/v1/documents/${doc.id}/content` }, rita);
  await call(204, { method: 'DELETE', url: `/v1/documents/${doc.id}` }, root);
  await call(404, { method: 'DELETE', url: `/v1/documents/${doc.id}` }, root);

  // The audit trail and the policy, read and refused.
  const period = `from=${at(-1)}&to=${at(1)}`;
  await call(200, { url: '/v1/audit/verify' }, eve);
  await call(403, { url: '/v1/audit/verify' }, alice);
  await call(200, { url: `/v1/audit/report?actor=alice&${period}` }, eve);
  await call(403, { url: `/v1/audit/report?actor=alice&${period}` }, alice);
  await call(403, { url: '/v1/audit/events' }, alice);
  await call(200, { url: '/v1/policy' }, eve);
  await call(403, { url: '/v1/policy' }, alice);
  const preview = { principal: { sub: 'alice', roles: ['agent'] }, resource: 'Customer', id: giulia };
  await call(200, { method: 'POST', url: '/v1/policy/preview', payload: preview }, root);
  await call(403, { method: 'POST', url: '/v1/policy/preview', payload: preview }, eve);
  // Records the caller keeps: rendered (a list, its hidden record a denied list), checked.
  const sent = [
    { id: 'crm-1', fullName: 'Kept Elsewhere', phone: '+39 347 000 1111', privacyLevel: 'standard', assignees: [] },
    { id: 'crm-2', fullName: 'Hidden Elsewhere', privacyLevel: 'confidential', assignees: ['bob'] },
  ];
  await call(200, { method: 'POST', url: '/v1/decisions/render', payload: { resource: 'Customer', action: 'read', records: sent } }, alice);
  await call(403, { method: 'POST', url: '/v1/decisions/render', payload: { resource: 'Customer', action: 'read', records: sent } }, eve);
  await call(200, { method: 'POST', url: '/v1/decisions/check', payload: { resource: 'Customer', actions: ['update', 'delete'], records: sent } }, alice);
  await call(200, { method: 'POST', url: '/v1/policy/reload' }, root);
  await call(403, { method: 'POST', url: '/v1/policy/reload' }, eve);
  const good = readFileSync(policyFile, 'utf8');
  writeFileSync(policyFile, 'roles: [not, a, policy]\n');
  await call(422, { method: 'POST', url: '/v1/policy/reload' }, root);
  writeFileSync(policyFile, good);
  const replay = { method: 'POST', url: '/v1/policy/replay?days=1', payload: good, headers: { 'content-type': 'application/yaml' } };
  await call(200, replay, root);
  await call(403, replay, eve);

  // Asking to see more: filed, approved, denied, break-glass (then revoked), and a grant that expires.
  const ask = (body: object) => ({ method: 'POST', url: '/v1/access-requests', payload: { resource: 'Customer', id: giulia, reason: 'Refund by bank transfer', minutes: 5, ...body } });
  const granted = (await call(201, ask({ fields: ['iban'] }), alice)).json();
  await call(403, ask({ fields: ['taxId'] }), alice);
  await call(403, { method: 'POST', url: `/v1/access-requests/${granted.id}/approve`, payload: {} }, alice);
  await call(200, { method: 'POST', url: `/v1/access-requests/${granted.id}/approve`, payload: {} }, carol);
  const refusedRequest = (await call(201, ask({ fields: ['address'] }), alice)).json();
  await call(403, { method: 'POST', url: `/v1/access-requests/${refusedRequest.id}/deny`, payload: {} }, alice);
  await call(200, { method: 'POST', url: `/v1/access-requests/${refusedRequest.id}/deny`, payload: {} }, carol);
  const glass = (await call(201, ask({ fields: ['taxId'], breakGlass: true, reason: 'Fraud investigation by the bank' }), root)).json();
  await call(404, { method: 'POST', url: `/v1/access-requests/${glass.id}/revoke`, payload: {} }, alice);
  await call(200, { method: 'POST', url: `/v1/access-requests/${glass.id}/revoke`, payload: {} }, root);
  await call(403, ask({ fields: ['iban'], breakGlass: true, reason: 'Fraud investigation by the bank' }), alice);
  // Expiry is noticed when requests are next listed: move this grant's end into the past.
  await t.database.query(`update access_requests set expires_at = now() - interval '1 second' where id = $1`, [granted.id]);
  await call(200, { url: '/v1/access-requests' }, alice);
  // Access reviews and their sign-offs.
  await call(200, { url: '/v1/access-review?days=1' }, eve);
  await call(403, { url: '/v1/access-review' }, alice);
  const attestation = { method: 'POST', url: '/v1/access-review/attestations', payload: { scope: { days: 1 }, note: 'Standards scenario.' } };
  await call(201, attestation, eve);
  await call(403, attestation, alice);

  // A person's erasure and legal holds: a hold placed and refused, an erasure refused by
  // the hold, the hold released (and a refused release), then the erasure.
  const dpo = await as('dora', 'dpo');
  const subject = (await call(201, { method: 'POST', url: '/v1/customers', payload: { fullName: 'Forget Me' } }, carol)).json();
  const hold = { method: 'POST', url: `/v1/subjects/Customer/${subject.id}/hold`, payload: { reason: 'Open complaint' } };
  await call(200, hold, dpo);
  await call(403, hold, alice);
  const erase = { method: 'POST', url: `/v1/subjects/Customer/${subject.id}/erase`, payload: { reason: 'Asked by e-mail' } };
  await call(409, erase, dpo);
  await call(403, { method: 'DELETE', url: `/v1/subjects/Customer/${subject.id}/hold` }, alice);
  await call(200, { method: 'DELETE', url: `/v1/subjects/Customer/${subject.id}/hold` }, dpo);
  await call(200, erase, dpo);
  // Subject access (GDPR Art. 15): a dpo's report on a customer, and a refusal.
  await call(200, { url: `/v1/subjects/customers/${giulia}/access-report` }, await as('dana', 'dpo'));
  await call(403, { url: `/v1/subjects/customers/${giulia}/access-report` }, alice);
  // Privacy duties: the record of processing and a breach's scope, for the data-protection officer.
  const dana = await as('dana', 'dpo');
  await call(200, { url: '/v1/inventory?format=md' }, dana);
  await call(403, { url: '/v1/inventory' }, alice);
  await call(200, { url: '/v1/retention' }, dana);
  await call(403, { url: '/v1/retention' }, alice);
  await call(200, { url: `/v1/incidents/scope?actor=alice&actor=rita&${period}` }, dana);
  await call(403, { url: `/v1/incidents/scope?actor=rita&${period}` }, alice);

  // Read budgets of one customer: a blocking one refuses the page, an alerting one lets it through.
  await call(429, { url: '/v1/customers?limit=2' }, await as('sam', 'skimmer'));
  await call(200, { url: '/v1/customers?limit=2' }, await as('gil', 'glancer'));

  // GraphQL: the same kinds through the other door.
  const gql = await graphql(t.app, (await t.token('alice', 'agent')), '{ customers(first: 2) { nodes { id fullName } } }');
  expect(gql.body.errors).toBeUndefined();
  const refused = await graphql(t.app, (await t.token('eve', 'auditor')), `{ customer(id: "${giulia}") { id } }`);
  expect(refused.body.errors).toBeDefined();
}
