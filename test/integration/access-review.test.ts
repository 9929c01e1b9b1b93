import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToChain } from '../../src/audit/audit-writer.js';
import { REVIEW_BOUNDS } from '../../src/core/access-review.service.js';
import { contractSchema } from '../helpers/openapi-schema.js';
import { openDatabase } from '../../src/data/database.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Access reviews over a real port, on the default policy: an agent and an assistant read
// through the API, an admin exports, and the review is checked against what they did.
// Figures counted by hand from the requests below.

const DAY = 86_400_000;
let t: TestApp;
const auth = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });
let headers: Record<string, Record<string, string>> = {};
let giulia: string;

async function get(who: string, url: string, status = 200) {
  const res = await t.http({ url, headers: headers[who] });
  expect(res.statusCode, res.body).toBe(status);
  return res;
}

/** An event from before the window: the API only writes events dated now. */
async function appendPastEvent(sub: string, roles: string[], daysAgo: number) {
  const db = openDatabase({ url: t.database.url, poolMax: 1, log: pino({ level: 'silent' }), preparedStatements: false });
  try {
    await appendToChain(db, [{
      eventId: randomUUID(), occurredAt: new Date(Date.now() - daysAgo * DAY), actorSub: sub, actorRoles: roles, actorTokenId: null, channel: 'rest',
      action: 'read', resourceType: 'Customer', resourceIds: [], fieldsClear: ['id'], fieldsMasked: [], fieldsWithheld: [], fieldsWritten: [],
      outcome: 'allowed', reason: null, requestId: null, purpose: null, clientIp: null, userAgent: null, policyVersion: 'old', details: null,
    }]);
  } finally {
    await db.destroy();
  }
}

const review = async (query = 'days=30') => (await get('eve', `/v1/access-review?${query}`)).json();
const personOf = (r: any, sub: string) => r.people.find((p: any) => p.sub === sub);
const fieldOf = (p: any, resource: string, field: string) => p.fields.find((f: any) => f.resource === resource && f.field === field);

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_MAX: '0' });
  headers = { alice: await auth('alice', 'agent'), rita: await auth('rita', 'assistant'), root: await auth('root', 'admin'), eve: await auth('eve', 'auditor') };
  const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
  giulia = rows[0].id;
  await appendPastEvent('olga', ['agent'], 120);
  await appendPastEvent('alice', ['agent'], 100);
  // alice: three events showing Giulia (not assigned to her): phone masked each time.
  await get('alice', `/v1/customers/${giulia}`);
  await get('alice', `/v1/customers/${giulia}`);
  await get('alice', '/v1/customers?filter[fullName]=Giulia%20Marchetti');
  // rita: one read; email and phone masked.
  await get('rita', `/v1/customers/${giulia}`);
});
afterAll(() => t?.close());

describe('GET /v1/access-review', () => {
  let first: any;
  beforeAll(async () => {
    first = await review();
  });

  it('says what it read: the window, the events, nothing truncated', () => {
    expect(first.window.days).toBe(30);
    expect(Date.parse(first.window.to) - Date.parse(first.window.from)).toBe(30 * DAY);
    // alice 3, rita 1; the events from before the window are not read.
    expect(first.scanned).toMatchObject({ events: 4, truncated: false });
    expect(first.people.map((p: any) => p.sub)).toEqual(['alice', 'rita']);
    expect(contractSchema('AccessReview')(first)).toEqual([]);
  });

  it('sets each field a person holds against what they read', () => {
    const alice = personOf(first, 'alice');
    expect(alice).toMatchObject({ roles: ['agent'], rolesInWindow: ['agent'], events: 3 });
    expect(fieldOf(alice, 'Customer', 'email')).toMatchObject({ grant: 'clear', conditional: false, clearReads: 3, maskedReads: 0, finding: 'used' });
    // Clear only on customers assigned to her; Giulia is not: three masked reads, no clear one.
    expect(fieldOf(alice, 'Customer', 'phone')).toMatchObject({
      grant: 'clear', conditional: true, grantText: 'masked (digits); clear on records where assignees contains you', clearReads: 0, maskedReads: 3, finding: 'clear unused',
    });
    expect(fieldOf(alice, 'Customer', 'iban')).toBeUndefined();
    expect(fieldOf(alice, 'Booking', 'service')).toMatchObject({ grant: 'clear', clearReads: 0, maskedReads: 0, lastUsed: null, finding: 'unused' });
    expect(alice.unused).toContain('Booking.service');
    expect(alice.unused).toContain('Document.content');
    expect(alice.unused.filter((f: string) => f.startsWith('Customer.'))).toEqual([]);

    const rita = personOf(first, 'rita');
    expect(fieldOf(rita, 'Customer', 'email')).toMatchObject({ grant: 'masked', grantText: 'masked (email)', clearReads: 0, maskedReads: 1, finding: 'used' });
    expect(rita.fields.filter((f: any) => f.resource === 'Customer').map((f: any) => f.field)).toEqual(['id', 'fullName', 'email', 'phone', 'createdAt']);
  });

  it('lists people seen before the window and not in it, and roles nobody held', () => {
    expect(first.notSeen.people).toEqual([{ sub: 'olga', lastSeen: expect.any(String), roles: ['agent'] }]);
    expect(Date.now() - Date.parse(first.notSeen.people[0].lastSeen)).toBeGreaterThan(119 * DAY);
    expect(first.rolesNotSeen).toEqual(['admin', 'auditor', 'dpo', 'manager']);
    expect(first.limits.join(' ')).toContain('no directory of users');
  });

  it('names export rights nobody used, and counts those used', async () => {
    expect(first.exportRights).toEqual([{ role: 'admin', resource: 'Customer', holders: 0, exports: 0, unused: true }]);
    await get('root', '/v1/customers/export?format=csv');
    const later = await review();
    expect(later.exportRights).toEqual([{ role: 'admin', resource: 'Customer', holders: 1, exports: 1, unused: false }]);
    expect(personOf(later, 'root').exports).toEqual({ Customer: 1 });
    // The first review is in the trail now: eve was seen.
    expect(later.rolesNotSeen).toEqual(['dpo', 'manager']);
  });

  it('suggests, per role, narrowing what none of its holders read, as an edit and its policy diff', () => {
    const agent = first.suggestions.find((s: any) => s.role === 'agent');
    expect(agent.holders).toBe(1);
    expect(agent.fields).toContainEqual({ resource: 'Customer', field: 'phone', remove: ['clear'] });
    expect(agent.fields.filter((f: any) => f.resource === 'Customer')).toHaveLength(1);
    expect(agent.edit).toContain('roles:\n  agent:\n    cannot:\n      - actions: [read]\n        subject: Customer\n        fields: [phone]\n');
    expect(agent.diff).toContain('agent  Customer.phone  clear -> masked (digits) (records where assignees contains you)');
    expect(agent.diff).toContain('agent  Booking.service  clear -> withheld');
    // Managers inherit the agent's booking reads without granting them again: the diff says so.
    expect(agent.diff).toContain('manager  Booking.service  clear -> withheld');
    expect(agent.alsoAffects).toEqual(['manager']);
    // Agents grant their own bookings and documents: narrowing the assistant leaves them be.
    const assistant = first.suggestions.find((s: any) => s.role === 'assistant');
    expect(assistant.fields.some((f: any) => f.resource === 'Customer')).toBe(false);
    expect(assistant.alsoAffects).toEqual([]);
    expect(assistant.diff).toContain('assistant  Booking.startsAt  clear -> withheld');
  });

  it('serves the per-person table as CSV', async () => {
    const res = await get('eve', '/v1/access-review?days=30&format=csv');
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parseCsv(res.body, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual(['sub', 'roles', 'resource', 'field', 'grant', 'conditional', 'clearReads', 'maskedReads', 'lastUsed', 'finding']);
    expect(rows.find((r) => r.sub === 'alice' && r.field === 'phone')).toMatchObject({ roles: 'agent', resource: 'Customer', grant: 'clear', conditional: 'true', clearReads: '0', maskedReads: '3', finding: 'clear unused' });
  });

  it('is refused to those who may not read the trail, bounds days, and is audited', async () => {
    const refused = await get('alice', '/v1/access-review', 403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    for (const days of ['0', '366', 'x']) expect((await get('eve', `/v1/access-review?days=${days}`, 400)).json().code).toBe('VALIDATION_FAILED');
    expect((await get('eve', '/v1/access-review?who=me', 400)).json().code).toBe('VALIDATION_FAILED');
    const { rows } = await t.database.query(`select actor_sub, outcome, details from audit_events where action = 'access_review' order by seq`);
    expect(rows.filter((r) => r.outcome === 'denied').map((r) => r.actor_sub)).toEqual(['alice']);
    expect(rows.find((r) => r.outcome === 'allowed').details).toEqual({ days: 30, events: 4, people: 2, truncated: false });
  });
});

describe('bounds', () => {
  it('reads the trail in slices that add up to the whole, and stops at its cap saying so', async () => {
    const saved = { ...REVIEW_BOUNDS };
    try {
      const whole = await review();
      Object.assign(REVIEW_BOUNDS, { batch: 2 });
      const sliced = await review();
      for (const sub of ['alice', 'rita', 'root']) expect(personOf(sliced, sub)).toEqual(personOf(whole, sub));
      expect(sliced.suggestions).toEqual(whole.suggestions);
      Object.assign(REVIEW_BOUNDS, { batch: 2, maxEvents: 3 });
      const capped = await review();
      // The window's first three events are alice's reads.
      const { rows } = await t.database.query(`select occurred_at from audit_events where actor_sub = 'alice' and action in ('read', 'list') and occurred_at > now() - interval '30 days' order by seq`);
      expect(capped.scanned).toMatchObject({ events: 3, truncated: true, scannedUntil: rows[2].occurred_at.toISOString() });
      expect(capped.people.map((p: any) => p.sub)).toEqual(['alice']);
      expect(capped.limits.at(-1)).toContain('stopped at its cap of 3 events');
    } finally {
      Object.assign(REVIEW_BOUNDS, saved);
    }
  });
});

describe('POST /v1/access-review/attestations', () => {
  const body = { scope: { days: 30, roles: ['agent', 'assistant'] }, note: 'Quarterly review: agent booking reads to be discussed with the owner.' };

  it('records the sign-off as an audit event and answers with its id and chain position', async () => {
    const res = await t.http({ method: 'POST', url: '/v1/access-review/attestations', headers: headers.eve, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    const made = res.json();
    expect(made).toMatchObject({ reviewer: 'eve', scope: body.scope, note: body.note, eventId: expect.any(String), seq: expect.stringMatching(/^\d+$/) });
    const { rows } = await t.database.query(`select seq::text, actor_sub, actor_roles, resource_type, outcome, details from audit_events where event_id = $1`, [made.eventId]);
    expect(rows[0]).toEqual({ seq: made.seq, actor_sub: 'eve', actor_roles: ['auditor'], resource_type: 'AccessReview', outcome: 'allowed', details: { scope: body.scope, note: body.note } });
    // The note is in the trail, never in a log line.
    expect(t.rawLogs.some((line) => line.includes('Quarterly review'))).toBe(false);
    expect(contractSchema('AccessReviewAttestation')(made)).toEqual([]);
    const listed = (await get('eve', '/v1/access-review/attestations')).json();
    expect(listed.items[0]).toEqual(made);
  });

  it('refuses other roles (audited) and bodies out of shape', async () => {
    const refused = await t.http({ method: 'POST', url: '/v1/access-review/attestations', headers: headers.alice, payload: body });
    expect(refused.statusCode).toBe(403);
    const { rows } = await t.database.query(`select actor_sub from audit_events where action = 'access_review.attested' and outcome = 'denied'`);
    expect(rows).toEqual([{ actor_sub: 'alice' }]);
    for (const bad of [{ scope: { days: 30 } }, { scope: { days: 400 }, note: 'x' }, { scope: { days: 30 }, note: 'x'.repeat(2001) }, { ...body, extra: 1 }]) {
      const res = await t.http({ method: 'POST', url: '/v1/access-review/attestations', headers: headers.eve, payload: bad });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await get('alice', '/v1/access-review/attestations', 403)).json().code).toBe('FORBIDDEN');
  });
});
