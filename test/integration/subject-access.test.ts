import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { contractSchema } from '../helpers/openapi-schema.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Subject access (GDPR Art. 15) over a real port, on the default policy plus one role
// (`desk`: an agent who may also prepare access reports). Agents, an assistant and an
// admin touch Giulia's data first; the dpo's report must name each of them.

let t: TestApp;
const headers: Record<string, Record<string, string>> = {};
const ids = {} as { giulia: string; vittoria: string; booking: string; document: string };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const DOCUMENT_BYTES = Buffer.from('Invoice 2026-090: colour, EUR 65.00\n');
let exportHash: string;

function writePolicy(): string {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.roles.desk = { inherits: ['agent'], can: [{ actions: ['read'], subject: 'Subject' }] };
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-subject-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

async function call(who: string, url: string, status = 200, extra: Record<string, string> = {}) {
  const res = await t.http({ url, headers: { ...headers[who], ...extra } });
  expect(res.statusCode, res.body).toBe(status);
  return res;
}

const reportUrl = (id: string, rest = '') => `/v1/subjects/customers/${id}/access-report${rest}`;

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_MAX: '0', POLICY_FILE: writePolicy() });
  for (const [sub, role] of [['alice', 'agent'], ['rita', 'assistant'], ['root', 'admin'], ['dana', 'dpo'], ['dora', 'desk']] as const) {
    headers[sub] = { authorization: `Bearer ${await t.token(sub, role)}` };
  }
  const { rows } = await t.database.query(`select id, full_name from customers where full_name in ('Giulia Marchetti', 'Vittoria Colonna')`);
  ids.giulia = rows.find((r) => r.full_name === 'Giulia Marchetti').id;
  ids.vittoria = rows.find((r) => r.full_name === 'Vittoria Colonna').id;
  const startsAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const endsAt = new Date(Date.now() + 3 * 86_400_000 + 3_600_000).toISOString();
  const booking = await t.http({ method: 'POST', url: '/v1/bookings', headers: headers.alice, payload: { customerId: ids.giulia, staffSub: 'sara', service: 'Colour', startsAt, endsAt } });
  expect(booking.statusCode, booking.body).toBe(201);
  ids.booking = booking.json().id;
  const upload = await t.http({
    method: 'POST', url: `/v1/customers/${ids.giulia}/documents`, payload: DOCUMENT_BYTES,
    headers: { ...headers.root, 'content-type': 'text/plain', 'x-document-title': 'Invoice 2026-090', 'x-document-category': 'invoice' },
  });
  expect(upload.statusCode, upload.body).toBe(201);
  ids.document = upload.json().id;
  // alice (agent, not assigned to Giulia): phone masked; rita (assistant): email and phone masked.
  await call('alice', `/v1/customers/${ids.giulia}`, 200, { 'x-purpose': 'ticket 41' });
  await call('rita', `/v1/customers/${ids.giulia}`);
  await call('rita', `/v1/documents/${ids.document}`);
  exportHash = sha256((await call('root', '/v1/customers/export?format=csv')).rawPayload);
});
afterAll(() => t?.close());

describe('GET /v1/subjects/{resource}/{id}/access-report', () => {
  let report: any;
  beforeAll(async () => {
    const res = await call('dana', reportUrl(ids.giulia));
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    report = res.json();
  });

  it('holds the record, its bookings and the metadata of its documents, as the dpo reads them', () => {
    expect(contractSchema('SubjectAccessReport')(report)).toEqual([]);
    expect(report.subject).toEqual({ resource: 'Customer', plural: 'customers', id: ids.giulia });
    expect(report.generatedBy).toEqual({ sub: 'dana', roles: ['dpo'] });
    expect(report.record).toMatchObject({
      id: ids.giulia, fullName: 'Giulia Marchetti', email: 'giulia.marchetti@example.com', phone: '+39 347 123 4567',
      iban: 'IT60X0542811101000000123456', _access: { masked: [], withheld: [] },
    });
    expect(report.children.map((c: any) => [c.resource, c.parent, c.visible, c.items.length, c.truncated])).toEqual([
      ['Booking', 'Customer', true, 1, false],
      ['Document', 'Customer', true, 1, false],
    ]);
    expect(report.children[0].items[0]).toMatchObject({ id: ids.booking, customerId: ids.giulia, service: 'Colour', staffSub: 'sara' });
    const doc = report.children[1].items[0];
    expect(doc).toMatchObject({ id: ids.document, title: 'Invoice 2026-090', category: 'invoice', sizeBytes: DOCUMENT_BYTES.length, sha256: sha256(DOCUMENT_BYTES) });
    // The file as its metadata, never its bytes.
    expect(doc.content).toEqual({ mediaType: 'text/plain', sizeBytes: DOCUMENT_BYTES.length, sha256: sha256(DOCUMENT_BYTES) });
    expect(JSON.stringify(report)).not.toContain('EUR 65.00');
  });

  it('names everyone who saw the data, with the fields each was shown clear or masked', () => {
    const reads = report.seenBy.accesses.filter((a: any) => a.action === 'read' && a.resource === 'Customer');
    const alice = reads.find((a: any) => a.who.sub === 'alice');
    expect(alice).toMatchObject({ who: { sub: 'alice', roles: ['agent'] }, channel: 'rest', purpose: 'ticket 41', outcome: 'allowed', recordIds: [ids.giulia] });
    expect(alice.fields.masked).toEqual(['phone']);
    expect(alice.fields.clear).toContain('email');
    expect(alice.fields.withheld).toEqual(expect.arrayContaining(['address', 'iban', 'taxId']));
    const rita = reads.find((a: any) => a.who.sub === 'rita');
    expect(rita.fields).toMatchObject({ clear: ['id', 'fullName', 'createdAt'], masked: ['email', 'phone'] });
    expect(report.seenBy.accesses.find((a: any) => a.who.sub === 'rita' && a.resource === 'Document')).toMatchObject({ action: 'read', recordIds: [ids.document] });
    expect(report.seenBy.accesses.find((a: any) => a.action === 'create' && a.resource === 'Booking')).toMatchObject({ who: { sub: 'alice' }, recordIds: [ids.booking] });
    expect(report.seenBy.accesses.find((a: any) => a.action === 'upload')).toMatchObject({ who: { sub: 'root', roles: ['admin'] }, resource: 'Document' });
    expect(report.seenBy.people.map((p: any) => p.sub).sort()).toEqual(['alice', 'rita', 'root']);
    expect(report.seenBy.people.find((p: any) => p.sub === 'rita')).toMatchObject({ roles: ['assistant'], events: 2 });
    expect(report.seenBy.truncated).toBe(false);
  });

  it("lists the admin's export with the hash of the file that left, and only Giulia's id of the twelve", () => {
    const exported = report.seenBy.accesses.find((a: any) => a.action === 'export');
    expect(exported).toMatchObject({ who: { sub: 'root', roles: ['admin'] }, resource: 'Customer', recordIds: [ids.giulia] });
    expect(exported.export).toEqual({ format: 'csv', status: 'completed', rows: 12, bytes: expect.any(Number), sha256: exportHash });
  });

  it('is audited: one event naming the customer, one per resource of records shown, ids and field names only', async () => {
    const { rows } = await t.database.query(
      `select resource_type, resource_ids, fields_clear, fields_masked, outcome, details::text as details from audit_events
       where action = 'subject.access_report' and actor_sub = 'dana' order by seq`);
    expect(rows.map((r) => [r.resource_type, r.resource_ids, r.outcome])).toEqual([
      ['Customer', [ids.giulia], 'allowed'],
      ['Booking', [ids.booking], 'allowed'],
      ['Document', [ids.document], 'allowed'],
    ]);
    expect(rows[0].fields_clear).toContain('iban');
    expect(JSON.parse(rows[0].details)).toMatchObject({ children: { Booking: 1, Document: 1 }, truncated: false });
    expect(JSON.parse(rows[1].details)).toEqual({ subject: { resource: 'Customer', id: ids.giulia } });
    expect(rows.map((r) => r.details).join(' ')).not.toContain('Giulia');
    // A later report names the earlier one among the accesses.
    const again = (await call('dana', reportUrl(ids.giulia))).json();
    expect(again.seenBy.accesses[0]).toMatchObject({ action: 'subject.access_report', who: { sub: 'dana' } });
  });

  it('renders the record through the caller’s own rules: masked where they see masks, withheld fields absent', async () => {
    const desk = (await call('dora', reportUrl(ids.giulia))).json();
    expect(desk.record.phone).toBe('+39 XXX XXX XXXX');
    expect(desk.record).not.toHaveProperty('iban');
    expect(desk.record._access).toEqual({ masked: ['phone'], withheld: ['address', 'iban', 'taxId', 'assignees'] });
  });

  it('refuses a caller without the right (403), an unknown id or resource (404), and a record outside the caller’s visibility (404), each audited', async () => {
    expect((await call('alice', reportUrl(ids.giulia), 403)).json().code).toBe('FORBIDDEN');
    await call('dana', reportUrl('00000000-0000-4000-8000-000000000000'), 404);
    await call('dana', `/v1/subjects/invoices/${ids.giulia}/access-report`, 404);
    // Vittoria is confidential, assigned to alice only: for dora she does not exist.
    await call('dora', reportUrl(ids.vittoria), 404);
    await call('dana', reportUrl(ids.giulia, '?format=pdf'), 400);
    const { rows } = await t.database.query(
      `select actor_sub, resource_type, resource_ids from audit_events where action = 'subject.access_report' and outcome = 'denied' order by seq`);
    expect(rows.map((r) => [r.actor_sub, r.resource_type, r.resource_ids])).toEqual([
      ['alice', 'Customer', [ids.giulia]],
      ['dana', 'Customer', ['00000000-0000-4000-8000-000000000000']],
      ['dana', 'Subject', [ids.giulia]],
      ['dora', 'Customer', [ids.vittoria]],
    ]);
  });
});

describe('the printable report', () => {
  let mallory: string;
  beforeAll(async () => {
    const res = await t.http({ method: 'POST', url: '/v1/customers', headers: headers.root, payload: { fullName: '<script>alert("x")</script> & Mallory', notes: "It's <b>bold</b>" } });
    expect(res.statusCode, res.body).toBe(201);
    mallory = res.json().id;
  });

  it('is a self-contained page, every value escaped, under a strict Content-Security-Policy', async () => {
    const res = await call('dana', reportUrl(mallory, '?format=html'));
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; img-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'$/);
    const html = res.body;
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Mallory');
    expect(html).toContain('It&#39;s &lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>');
    expect(html).toContain('<h2>What we hold about you</h2>');
    expect(html).toContain('<h2>Who has seen your data</h2>');
    expect(html).toContain('@media print');
    // Nothing loaded from anywhere.
    expect(html).not.toMatch(/<(link|img|iframe|object)\b|src=|href=/i);
    // The inline style sheet is the one the policy's hash allows.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('answers a browser (Accept: text/html) with the page, and names the people who saw the data', async () => {
    const res = await call('dana', reportUrl(ids.giulia), 200, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<td>rita</td><td>assistant</td>');
    expect(res.body).toContain(exportHash);
    expect(res.body).toContain('<td>exported it to a file<br>');
    expect(res.body).toContain('<td>opened the record</td>');
    expect(res.body).toContain('Invoice 2026-090');
    expect((await call('dana', reportUrl(ids.giulia), 200, { accept: 'application/json' })).headers['content-type']).toMatch(/^application\/json/);
  });
});
