import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeHolds, eraseSubject, systemAuditContext } from '../../src/core/erasure.service.js';
import { AppError } from '../../src/errors.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { databaseHolding } from '../helpers/marker-scan.js';

// "Forget me" (GDPR Art. 17) on the default policy, over a real port: a dpo erases a
// customer with two bookings and a document. Every field is deleted, anonymised or kept
// as the policy says, the document's bytes go, the receipt says so and names the audit
// event that proves it; the trail still verifies, and none of the person's values is
// left anywhere in the database (every table of every schema scanned for them).

let t: TestApp;
const tokens: Record<string, string> = {};
const as = (who: string, requestId?: string) => ({ authorization: `Bearer ${tokens[who]}`, ...(requestId ? { 'x-request-id': requestId } : {}) });

// Unique strings planted in the subject's values, searched for afterwards.
const MARK = {
  name: 'Zqxname Erasuremarker',
  email: 'zqxmail.erasuremarker@example.com',
  phone: '+39 347 991 7731',
  address: 'Via Zqxaddress Erasuremarker 9',
  iban: 'IT60ZQXIBANMARKER123456789',
  taxId: 'ZQXTAXMARK9',
  notes: 'zqxnotes erasuremarker: prefers mornings',
  bookingNotes: 'zqxbooking erasuremarker: allergic to lavender',
  title: 'zqxtitle-erasuremarker',
  bytes: 'zqxbytes erasuremarker: signed contract body',
  // A requester's own words about the customer, kept with their access request.
  requestReason: 'zqxreason erasuremarker: her husband phoned',
};
const ids: Record<string, string> = {};

async function post(who: string, url: string, payload: object, requestId?: string) {
  return t.http({ method: 'POST', url, headers: as(who, requestId), payload });
}
async function created(res: { statusCode: number; body: string; json: () => any }) {
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
const eventsOf = async (requestId: string) =>
  (await t.database.query(`select action, resource_type, resource_ids, fields_written, outcome, reason, details from audit_events where request_id = $1 order by seq`, [requestId])).rows;

beforeAll(async () => {
  t = await startTestApp();
  tokens.dpo = await t.token('dora-dpo', 'dpo');
  tokens.admin = await t.token('root', 'admin');
  tokens.agent = await t.token('bob', 'agent');
  tokens.auditor = await t.token('eve', 'auditor');
  const customer = { fullName: MARK.name, email: MARK.email, phone: MARK.phone, address: MARK.address, iban: MARK.iban, taxId: MARK.taxId, notes: MARK.notes };
  ids.mario = await created(await post('admin', '/v1/customers', customer));
  ids.other = await created(await post('admin', '/v1/customers', { fullName: 'Someone Else', notes: 'stays as it is' }));
  const booking = { customerId: ids.mario, staffSub: 'sara', service: 'Haircut', startsAt: '2026-11-20T09:00:00Z', endsAt: '2026-11-20T10:00:00Z' };
  ids.b1 = await created(await post('admin', '/v1/bookings', { ...booking, notes: MARK.bookingNotes }));
  ids.b2 = await created(await post('admin', '/v1/bookings', { ...booking, startsAt: '2026-11-27T09:00:00Z', endsAt: '2026-11-27T10:00:00Z' }));
  const upload = await t.http({
    method: 'POST',
    url: `/v1/customers/${ids.mario}/documents`,
    headers: { ...as('admin'), 'content-type': 'text/plain', 'x-document-title': MARK.title, 'x-document-category': 'contract' },
    payload: Buffer.from(MARK.bytes),
  });
  ids.doc = await created(upload);
  const asked = await post('agent', '/v1/access-requests', { resource: 'Customer', id: ids.mario, fields: ['address'], reason: MARK.requestReason, minutes: 10 });
  expect(asked.statusCode, asked.body).toBe(201);
}, 120_000);
afterAll(() => t?.close());

describe('erasing a customer', () => {
  it('the scan finds every planted value before the erasure (so its silence afterwards means something)', async () => {
    const found = await databaseHolding(t.database, Object.values(MARK));
    for (const marker of Object.values(MARK)) expect(found.get(marker), marker).toBeDefined();
    expect(found.get(MARK.bytes)).toContain('public.document_chunks');
  });

  it('refuses an agent (403, audited as denied) and an unknown id (404)', async () => {
    const refused = await post('agent', `/v1/subjects/Customer/${ids.mario}/erase`, { reason: 'asked by e-mail' }, 'erase-agent');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('FORBIDDEN');
    expect(await eventsOf('erase-agent')).toEqual([
      { action: 'subject.erased', resource_type: 'Customer', resource_ids: [ids.mario], fields_written: [], outcome: 'denied', reason: 'Your roles do not allow erase on Subject.', details: null },
    ]);
    const unknown = await post('dpo', '/v1/subjects/Customer/00000000-0000-4000-8000-000000000000/erase', { reason: 'asked by e-mail' });
    expect(unknown.statusCode).toBe(404);
    expect((await post('dpo', `/v1/subjects/Nothing/${ids.mario}/erase`, { reason: 'x' })).statusCode).toBe(404);
    expect((await post('dpo', `/v1/subjects/Customer/${ids.mario}/erase`, {})).json().code).toBe('VALIDATION_FAILED');
    expect((await post('dpo', `/v1/subjects/Customer/${ids.mario}/erase`, { reason: 'a\u0000b' })).json().code).toBe('VALIDATION_FAILED');
    expect((await post('dpo', `/v1/subjects/Customer/${ids.mario}/erase`, { reason: 'x'.repeat(1001) })).json().code).toBe('VALIDATION_FAILED');
    // Nothing changed.
    expect((await t.database.query('select full_name from customers where id = $1', [ids.mario])).rows[0].full_name).toBe(MARK.name);
  });

  it('refuses while a booking of the customer is under legal hold (409 LEGAL_HOLD), and erases once released', async () => {
    expect((await post('agent', `/v1/subjects/Booking/${ids.b2}/hold`, { reason: 'dispute' })).statusCode).toBe(403);
    const hold = await post('dpo', `/v1/subjects/Booking/${ids.b2}/hold`, { reason: 'disputed invoice, lawyer letter 12/2026', until: '2099-01-01T00:00:00Z' }, 'hold-1');
    expect(hold.statusCode, hold.body).toBe(200);
    expect(hold.json()).toMatchObject({ resource: 'Booking', id: ids.b2, until: '2099-01-01T00:00:00.000Z', placedBy: 'dora-dpo' });
    expect(await eventsOf('hold-1')).toEqual([{ action: 'subject.hold', resource_type: 'Booking', resource_ids: [ids.b2], fields_written: [], outcome: 'allowed', reason: null, details: { until: '2099-01-01T00:00:00.000Z' } }]);

    const held = await post('dpo', `/v1/subjects/Customer/${ids.mario}/erase`, { reason: 'asked by e-mail on 2026-12-01' }, 'erase-held');
    expect(held.statusCode).toBe(409);
    expect(held.json()).toMatchObject({ code: 'LEGAL_HOLD', held: [{ resource: 'Booking', id: ids.b2 }] });
    expect(held.json().detail).toBe('This Customer (or a record above or under it) is under a legal hold: nothing was erased. Release the hold first.');
    const [denied] = await eventsOf('erase-held');
    expect(denied).toMatchObject({ action: 'subject.erased', resource_type: 'Customer', resource_ids: [ids.mario], outcome: 'denied' });
    expect((await t.database.query('select notes from bookings where id = $1', [ids.b1])).rows[0].notes).toBe(MARK.bookingNotes);

    const released = await t.http({ method: 'DELETE', url: `/v1/subjects/Booking/${ids.b2}/hold`, headers: as('dpo', 'release-1') });
    expect(released.statusCode, released.body).toBe(200);
    expect(released.json()).toMatchObject({ resource: 'Booking', id: ids.b2 });
    expect(await eventsOf('release-1')).toMatchObject([{ action: 'subject.released', resource_type: 'Booking', resource_ids: [ids.b2], outcome: 'allowed' }]);
    // Released already: nothing to release.
    expect((await t.http({ method: 'DELETE', url: `/v1/subjects/Booking/${ids.b2}/hold`, headers: as('dpo') })).statusCode).toBe(404);
  });

  let receipt: any;
  it('erases: the receipt lists, per resource, what went, what stayed and why, and the audit event', async () => {
    // By the resource's plural, as its REST path (the name works too, as the other tests show).
    const res = await post('dpo', `/v1/subjects/customers/${ids.mario}/erase`, { reason: 'asked by e-mail on 2026-12-01' }, 'erase-1');
    expect(res.statusCode, res.body).toBe(200);
    receipt = res.json();
    const structure = 'record structure, no personal data';
    const accounting = 'accounting records (kept 10 years)';
    expect(receipt).toMatchObject({ subject: { resource: 'Customer', id: ids.mario }, reason: 'asked by e-mail on 2026-12-01', erasedBy: 'dora-dpo' });
    expect(receipt.resources).toEqual([
      {
        resource: 'Customer',
        records: 1,
        deleted: ['email', 'phone', 'address', 'iban', 'taxId', 'notes'],
        anonymised: ['fullName'],
        kept: ['id', 'privacyLevel', 'assignees', 'marketingOptOut', 'createdAt', 'updatedAt'].map((field) => ({ field, legalBasis: structure })),
        filesRemoved: 0,
      },
      {
        resource: 'Booking',
        records: 2,
        deleted: ['notes'],
        anonymised: [],
        kept: [
          { field: 'id', legalBasis: structure },
          { field: 'customerId', legalBasis: structure },
          { field: 'staffSub', legalBasis: structure },
          { field: 'service', legalBasis: accounting },
          { field: 'startsAt', legalBasis: accounting },
          { field: 'endsAt', legalBasis: accounting },
          { field: 'status', legalBasis: structure },
          { field: 'createdAt', legalBasis: structure },
          { field: 'updatedAt', legalBasis: structure },
        ],
        filesRemoved: 0,
      },
      {
        resource: 'Document',
        records: 1,
        deleted: ['content'],
        anonymised: ['title'],
        kept: ['id', 'customerId', 'category', 'contentType', 'sizeBytes', 'sha256', 'createdBy', 'createdAt'].map((field) => ({ field, legalBasis: structure })),
        filesRemoved: 1,
      },
    ]);
    // The event the receipt names is the one in the trail, at that position in the chain.
    const { rows } = await t.database.query('select event_id, seq::text, action, resource_type, resource_ids, fields_written, outcome, details from audit_events where request_id = $1', ['erase-1']);
    expect(rows).toHaveLength(1);
    expect(receipt.audit).toEqual({ eventId: rows[0].event_id, seq: rows[0].seq });
    expect(rows[0]).toMatchObject({ action: 'subject.erased', resource_type: 'Customer', resource_ids: [ids.mario], fields_written: ['email', 'phone', 'address', 'iban', 'taxId', 'notes', 'fullName'], outcome: 'allowed' });
    expect(rows[0].details.records).toEqual({ Booking: [ids.b1, ids.b2].sort(), Document: [ids.doc] });
    expect(rows[0].details.resources.map((r: any) => [r.resource, r.records, r.filesRemoved])).toEqual([
      ['Customer', 1, 0],
      ['Booking', 2, 0],
      ['Document', 1, 1],
    ]);
    // The reason is kept beside the trail, not in it.
    expect((await t.database.query('select resource_type, record_id, reason, erased_by from erasures where event_id = $1', [receipt.audit.eventId])).rows).toEqual([
      { resource_type: 'Customer', record_id: ids.mario, reason: 'asked by e-mail on 2026-12-01', erased_by: 'dora-dpo' },
    ]);
  });

  it('leaves the records as structure: the customer reads back anonymised, the bookings without notes, the document without bytes', async () => {
    const customer = (await t.http({ url: `/v1/customers/${ids.mario}`, headers: as('admin') })).json();
    expect(customer).toMatchObject({ id: ids.mario, fullName: '[erased]', email: null, phone: null, address: null, iban: null, taxId: null, notes: null, privacyLevel: 'standard', assignees: [], marketingOptOut: false });
    const booking = (await t.http({ url: `/v1/bookings/${ids.b1}`, headers: as('admin') })).json();
    expect(booking).toMatchObject({ id: ids.b1, service: 'Haircut', startsAt: '2026-11-20T09:00:00.000Z', notes: null, status: 'booked' });
    const doc = (await t.http({ url: `/v1/documents/${ids.doc}`, headers: as('admin') })).json();
    expect(doc).toMatchObject({ id: ids.doc, title: '[erased]', category: 'contract', sizeBytes: MARK.bytes.length });
    const content = await t.http({ url: `/v1/documents/${ids.doc}/content`, headers: as('admin') });
    expect(content.statusCode).toBe(404);
    expect(content.json().detail).toBe("This document's content was erased.");
    // The other customer is untouched.
    expect((await t.http({ url: `/v1/customers/${ids.other}`, headers: as('admin') })).json()).toMatchObject({ fullName: 'Someone Else', notes: 'stays as it is' });
  });

  it('leaves none of the values anywhere in the database, and the trail verifies', async () => {
    const found = await databaseHolding(t.database, Object.values(MARK));
    expect(Object.fromEntries(found)).toEqual({});
    const verify = await t.http({ url: '/v1/audit/verify', headers: as('auditor') });
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('erasing again is harmless: a new receipt, nothing more to remove', async () => {
    const again = await post('dpo', `/v1/subjects/Customer/${ids.mario}/erase`, { reason: 'asked again' });
    expect(again.statusCode).toBe(200);
    const body = again.json();
    expect(body.resources.map((r: any) => [r.resource, r.records, r.filesRemoved])).toEqual([
      ['Customer', 1, 0],
      ['Booking', 2, 0],
      ['Document', 1, 0],
    ]);
    expect(BigInt(body.audit.seq)).toBeGreaterThan(BigInt(receipt.audit.seq));
    expect((await t.http({ url: `/v1/customers/${ids.mario}`, headers: as('admin') })).json().fullName).toBe('[erased]');
  });

  it('a hold on the customer itself refuses its erasure too', async () => {
    expect((await post('dpo', `/v1/subjects/Customer/${ids.other}/hold`, { reason: 'tax audit' })).statusCode).toBe(200);
    const res = await post('dpo', `/v1/subjects/Customer/${ids.other}/erase`, { reason: 'asked' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'LEGAL_HOLD', held: [{ resource: 'Customer', id: ids.other }] });
    expect((await post('dpo', `/v1/subjects/Customer/${ids.other}/hold`, { reason: 'tax audit', until: '2001-01-01T00:00:00Z' })).json().code).toBe('VALIDATION_FAILED');
  });

  it('a hold on the customer keeps their bookings too: erasing one directly is refused', async () => {
    const booking = { customerId: ids.other, staffSub: 'sara', service: 'Haircut', startsAt: '2026-11-21T09:00:00Z', endsAt: '2026-11-21T10:00:00Z', notes: 'kept under the hold' };
    const id = await created(await post('admin', '/v1/bookings', booking));
    const res = await post('dpo', `/v1/subjects/bookings/${id}/erase`, { reason: 'asked' });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ code: 'LEGAL_HOLD', held: [{ resource: 'Customer', id: ids.other }] });
    const { rows } = await t.database.query('select notes from bookings where id = $1', [id]);
    expect(rows).toEqual([{ notes: 'kept under the hold' }]);
  });
});

describe('erasing without an HTTP request (a retention job)', () => {
  it('erases with a system actor, refuses a held record, and tells which ids are held', async () => {
    const id = await created(await post('admin', '/v1/customers', { fullName: 'Old Client', notes: 'zqxjob erasuremarker' }));
    const deps = () => ({ db: t.app.db, log: t.app.log, auditWriter: t.app.auditWriter, policy: t.app.policyStore.current.policy, audit: systemAuditContext('system:retention', t.app.policyStore.current.policy.version) });
    expect(await post('dpo', `/v1/subjects/Customer/${id}/hold`, { reason: 'audit' }).then((r) => r.statusCode)).toBe(200);
    expect(await activeHolds(t.app.db, 'Customer', [id, ids.mario!])).toEqual([id]);
    const refused = await eraseSubject(deps(), 'Customer', id, 'retention: 10 years passed').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('LEGAL_HOLD');
    expect((await t.http({ method: 'DELETE', url: `/v1/subjects/Customer/${id}/hold`, headers: as('dpo') })).statusCode).toBe(200);
    expect(await activeHolds(t.app.db, 'Customer', [id])).toEqual([]);
    const receipt = await eraseSubject(deps(), 'Customer', id, 'retention: 10 years passed');
    expect(receipt).toMatchObject({ subject: { resource: 'Customer', id }, erasedBy: 'system:retention' });
    expect(receipt.resources.map((r) => [r.resource, r.records])).toEqual([
      ['Customer', 1],
      ['Booking', 0],
      ['Document', 0],
    ]);
    const { rows } = await t.database.query('select action, outcome, channel, actor_sub, seq::text from audit_events where resource_ids = array[$1]::text[] and action = $2 order by seq', [id, 'subject.erased']);
    expect(rows.map((r) => [r.outcome, r.channel, r.actor_sub])).toEqual([
      ['denied', 'cli', 'system:retention'],
      ['allowed', 'cli', 'system:retention'],
    ]);
    expect(rows[1].seq).toBe(receipt.audit.seq);
    expect(Object.fromEntries(await databaseHolding(t.database, ['zqxjob erasuremarker']))).toEqual({});
    await expect(eraseSubject(deps(), 'Customer', '00000000-0000-4000-8000-000000000000', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
