import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPE_BOUNDS } from '../../src/core/incident-scope.service.js';
import { projectFile } from '../../src/paths.js';
import { contractSchema } from '../helpers/openapi-schema.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// Breach scope over a real port, on the default policy: an agent reads one customer
// (some fields clear, phone masked) and a booking of another, an assistant reads a third
// (name clear, email and phone masked: nothing the policy protects in clear), an admin
// exports. Expected figures are counted by hand from the requests below.

let t: TestApp;
const headers: Record<string, Record<string, string>> = {};
const ids: Record<string, string> = {};
const from = new Date(Date.now() - 60_000).toISOString();
let to: string;
let exportSha256: string;

async function call(who: string, url: string, status = 200, extra: Record<string, string> = {}) {
  const res = await t.http({ url, headers: { ...headers[who], ...extra } });
  expect(res.statusCode, res.body).toBe(status);
  return res;
}

async function create(url: string, payload: object): Promise<string> {
  const res = await t.http({ method: 'POST', url, headers: headers.root, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

const scopeOf = async (actors: string[], query = '') =>
  (await call('dpo', `/v1/incidents/scope?${actors.map((a) => `actor=${a}`).join('&')}&from=${from}&to=${to}${query}`)).json();

beforeAll(async () => {
  t = await startTestApp({ DEMO_DATA: 'false', RATE_LIMIT_MAX: '0' });
  for (const [sub, role] of [['alice', 'agent'], ['rita', 'assistant'], ['root', 'admin'], ['dana', 'dpo']] as const) {
    headers[sub === 'dana' ? 'dpo' : sub] = { authorization: `Bearer ${await t.token(sub, role)}` };
  }
  ids.ada = await create('/v1/customers', { fullName: 'Ada Rossi', email: 'ada@example.com', phone: '+39 347 111 2222', notes: 'Calls in the morning.' });
  ids.bruno = await create('/v1/customers', { fullName: 'Bruno Verdi', email: 'bruno@example.com', phone: '+39 347 333 4444' });
  ids.carla = await create('/v1/customers', { fullName: 'Carla Neri', email: 'carla@example.com' });
  const soon = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  ids.booking = await create('/v1/bookings', { customerId: ids.carla, staffSub: 'sara', service: 'Colour', startsAt: soon(2), endsAt: soon(2.1) });
  // alice (agent): Ada over REST and over GraphQL, and Carla's booking.
  await call('alice', `/v1/customers/${ids.ada}`, 200, { 'x-purpose': 'ticket 42' });
  const gql = await graphql(t.app, headers.alice!.authorization!.slice(7), `{ customer(id: "${ids.ada}") { id fullName phone } }`);
  expect(gql.body.errors).toBeUndefined();
  await call('alice', `/v1/bookings/${ids.booking}`);
  // rita (assistant): Bruno, whose email and phone she sees masked.
  await call('rita', `/v1/customers/${ids.bruno}`);
  // root (admin): the whole customer base as a spreadsheet.
  exportSha256 = createHash('sha256').update((await call('root', '/v1/customers/export?format=csv')).rawPayload).digest('hex');
  to = new Date(Date.now() + 60_000).toISOString();
});
afterAll(() => t?.close());

describe('the scope of what an agent and an assistant were shown', () => {
  let scope: any;
  beforeAll(async () => {
    scope = await scopeOf(['alice', 'rita']);
  });

  it('counts what Art. 33(3) asks for: 3 people, 4 records, the categories seen clear', () => {
    expect(contractSchema('IncidentScope')(scope)).toEqual([]);
    expect(scope.actors).toEqual(['alice', 'rita']);
    // Ada twice, the booking and Carla embedded in it (two events), Bruno.
    expect(scope.scanned).toMatchObject({ events: 5, truncated: false });
    // Ada (her record), Carla (her booking and her record in it), Bruno (his record).
    expect(scope.counts).toEqual({ subjects: 3, records: 4, toNotify: 2, maskedOnly: 1, unprotectedOnly: 0 });
    // Ada: name, email, notes; Carla's booking: service, times, notes; Bruno: his name.
    expect(scope.categories).toEqual({ clear: ['contact', 'free_text', 'identity', 'schedule', 'service'], maskedOnly: [] });
  });

  it('lists whom to notify: those a protected field was shown to in clear, a booking counting for its customer', () => {
    expect(scope.notify.map((s: any) => [s.resource, s.id, s.actors, s.records, s.events])).toEqual(
      [[ 'Customer', ids.ada, ['alice'], 1, 2 ], [ 'Customer', ids.carla, ['alice'], 2, 2 ]].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    );
    const ada = scope.notify.find((s: any) => s.id === ids.ada);
    expect(ada.protectedClear).toEqual(['Customer.email', 'Customer.notes']);
    expect(ada.masked).toEqual(['Customer.phone']);
    expect(ada.withheld).toEqual(['Customer.address', 'Customer.assignees', 'Customer.iban', 'Customer.taxId']);
    expect(ada.classes).toEqual(['contact', 'free_text', 'identity']);
    const carla = scope.notify.find((s: any) => s.id === ids.carla);
    // The booking's answer embeds its customer, rendered with alice's customer rules.
    expect(carla.protectedClear).toEqual(['Booking.notes', 'Customer.email', 'Customer.notes']);
    expect(carla.personalClear).toEqual(['Booking.endsAt', 'Booking.notes', 'Booking.service', 'Booking.startsAt', 'Customer.email', 'Customer.fullName', 'Customer.notes']);
    expect(carla.masked).toEqual(['Customer.phone']);
  });

  it('reports masked-only exposure apart: the assistant saw Bruno\'s name, his email and phone masked', () => {
    expect(scope.maskedOnly).toHaveLength(1);
    expect(scope.maskedOnly[0]).toMatchObject({
      resource: 'Customer', id: ids.bruno, actors: ['rita'], clear: ['Customer.createdAt', 'Customer.fullName', 'Customer.id'],
      masked: ['Customer.email', 'Customer.phone'], protectedClear: [],
    });
  });

  it('verifies the stretch of the chain under the window', () => {
    expect(scope.chain.verdict).toBe('intact');
    expect(scope.chain.segment).toMatchObject({ ok: true, truncated: false, firstBroken: null });
    expect(scope.chain.segment.verified).toBeGreaterThanOrEqual(10);
    expect(scope.exports).toEqual([]);
  });

  it('gives the list to notify as CSV: resource, id, personal fields seen clear, first and last exposure', async () => {
    const res = await call('dpo', `/v1/incidents/scope?actor=alice&actor=rita&from=${from}&to=${to}&format=csv`);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parseCsv(res.body, { columns: true }) as Array<Record<string, string>>;
    const ada = scope.notify.find((s: any) => s.id === ids.ada);
    expect(rows.find((r) => r.id === ids.ada)).toEqual({
      resource: 'Customer', id: ids.ada, fieldsClear: 'Customer.email Customer.fullName Customer.notes', firstExposure: ada.firstExposure, lastExposure: ada.lastExposure,
    });
    expect(rows.find((r) => r.id === ids.carla)?.fieldsClear).toBe('Booking.endsAt Booking.notes Booking.service Booking.startsAt Customer.email Customer.fullName Customer.notes');
    expect(rows).toHaveLength(2);
  });
});

describe('the scope of an admin who exported', () => {
  it('lists the export with the hash of the file that left, and everyone in it to notify', async () => {
    const scope = await scopeOf(['root']);
    expect(scope.exports).toHaveLength(1);
    expect(scope.exports[0]).toMatchObject({ actor: 'root', resource: 'Customer', format: 'csv', status: 'completed', rows: 3, sha256: exportSha256 });
    expect(scope.counts).toMatchObject({ subjects: 3, toNotify: 3, maskedOnly: 0 });
    // Its own creates showed the records too: 3 customers and a booking.
    expect(scope.counts.records).toBe(4);
  });
});

describe('a scope that cannot be defended as it stands', () => {
  const asSuperuserWithoutTriggers = (statement: string, values?: unknown[]) =>
    t.database.session([['begin'], ['alter table audit_events disable trigger user'], [statement, values], ['alter table audit_events enable trigger user'], ['commit']]);

  it('says where the chain under the window is broken when a row of it was edited', async () => {
    const { rows } = await t.database.query(`select seq::text as seq, actor_sub from audit_events where actor_sub = 'rita' and action = 'read' order by seq limit 1`);
    const target = rows[0];
    await asSuperuserWithoutTriggers(`update audit_events set actor_sub = 'framed-colleague' where seq = $1`, [target.seq]);
    try {
      const scope = await scopeOf(['alice']);
      expect(scope.chain.verdict).toBe('broken');
      expect(scope.chain.segment.firstBroken).toMatchObject({ seq: target.seq, problem: expect.stringMatching(/content does not match its hash/) });
    } finally {
      await asSuperuserWithoutTriggers(`update audit_events set actor_sub = $2 where seq = $1`, [target.seq, target.actor_sub]);
    }
  });

  it('says when it stopped at its cap, and what it did read', async () => {
    const saved = { ...SCOPE_BOUNDS };
    Object.assign(SCOPE_BOUNDS, { maxEvents: 2, batch: 1 });
    try {
      const scope = await scopeOf(['alice', 'rita']);
      // Ada over REST, then over GraphQL: the booking and what followed were not read.
      expect(scope.scanned).toMatchObject({ events: 2, truncated: true });
      expect(scope.counts).toMatchObject({ subjects: 1, records: 1 });
      expect(scope.limits.at(-1)).toMatch(/stopped at its cap/);
    } finally {
      Object.assign(SCOPE_BOUNDS, saved);
    }
  });
});

describe('who may ask, and what they may ask', () => {
  it('is refused to an agent (403), and the refusal is in the trail', async () => {
    const res = await call('alice', `/v1/incidents/scope?actor=rita&from=${from}&to=${to}`, 403);
    expect(res.json().code).toBe('FORBIDDEN');
    const { rows } = await t.database.query(`select outcome from audit_events where action = 'incident.scope' and actor_sub = 'alice'`);
    expect(rows).toEqual([{ outcome: 'denied' }]);
  });

  it.each([
    ['no actor', `from=2026-01-01&to=2026-01-02`],
    ['21 actors', `${Array.from({ length: 21 }, (_, i) => `actor=p${i}`).join('&')}&from=2026-01-01&to=2026-01-02`],
    ['no window', 'actor=alice'],
    ['from after to', 'actor=alice&from=2026-02-01&to=2026-01-01'],
    ['more than 366 days', 'actor=alice&from=2025-01-01&to=2026-01-03'],
    ['a date that is not one', 'actor=alice&from=yesterday&to=2026-01-01'],
    ['an unknown format', 'actor=alice&from=2026-01-01&to=2026-01-02&format=xlsx'],
    ['an unknown parameter', 'actor=alice&from=2026-01-01&to=2026-01-02&resource=Customer'],
    ['an empty actor', 'actor=&from=2026-01-01&to=2026-01-02'],
  ])('answers 400 on %s', async (_name, query) => {
    const res = await call('dpo', `/v1/incidents/scope?${query}`, 400);
    expect(res.json().status).toBe(400);
  });

  it('records each scope in the trail with its actors and verdict', async () => {
    const { rows } = await t.database.query(`select details from audit_events where action = 'incident.scope' and actor_sub = 'dana' and outcome = 'allowed' order by seq limit 1`);
    expect(rows[0].details).toMatchObject({ actors: ['alice', 'rita'], subjects: 3, toNotify: 2, truncated: false, chain: 'intact' });
  });
});

describe('a child record erased since it was read', () => {
  it('is listed on its own, marked parentUnknown, as its parent can no longer be named', async () => {
    const res = await t.http({ method: 'DELETE', url: `/v1/bookings/${ids.booking}`, headers: headers.root });
    expect(res.statusCode, res.body).toBe(204);
    const scope = await scopeOf(['alice']);
    // Ada; Carla through her record embedded in the booking's answer; the booking alone.
    expect(scope.counts).toMatchObject({ subjects: 3, records: 3, toNotify: 3 });
    expect(scope.notify.find((s: any) => s.resource === 'Booking')).toMatchObject({ id: ids.booking, parentUnknown: true, protectedClear: ['Booking.notes'] });
    expect(scope.notify.find((s: any) => s.id === ids.carla).clear).not.toContain('Booking.notes');
  });
});

describe('a file opened', () => {
  it('puts its subject on the list: a file\'s content is protected data', async () => {
    const upload = await t.http({
      method: 'POST', url: `/v1/customers/${ids.bruno}/documents`, payload: Buffer.from('invoice 7'),
      headers: { ...headers.root, 'content-type': 'text/plain', 'x-document-title': 'Invoice 7', 'x-document-category': 'invoice' },
    });
    expect(upload.statusCode, upload.body).toBe(201);
    await call('alice', `/v1/documents/${upload.json().id}/content`);
    const scope = await scopeOf(['alice']);
    expect(scope.counts).toMatchObject({ subjects: 4, toNotify: 4 });
    expect(scope.notify.find((s: any) => s.id === ids.bruno)).toMatchObject({ resource: 'Customer', protectedClear: ['Document.content'], classes: ['document'], records: 1 });
  });
});

describe('the scope on the clinic model', () => {
  let clinic: TestApp;
  const tokens: Record<string, string> = {};
  const clinicIds: Record<string, string> = {};
  const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
  const clinicCall = async (who: string, url: string, status = 200) => {
    const res = await clinic.http({ url, headers: as(who) });
    expect(res.statusCode, res.body).toBe(status);
    return res.json();
  };
  const make = async (plural: string, body: object) => {
    const res = await clinic.http({ method: 'POST', url: `/v1/${plural}`, headers: as('director'), payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const window = () => `from=${new Date(Date.now() - 60_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;

  beforeAll(async () => {
    clinic = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
    tokens.director = await clinic.token('dr-rossi', 'director');
    tokens.reception = await clinic.token('anna', 'reception');
    tokens.dpo = await clinic.token('dpo', 'dpo');
    tokens.cardiologist = await clinic.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
    clinicIds.mario = await make('patients', { fullName: 'Mario Bianchi', phone: '+39 333 123 4567', specialty: 'cardiology' });
    clinicIds.luisa = await make('patients', { fullName: 'Luisa Gallo', phone: '+39 333 765 4321', birthDate: '1980-05-01', specialty: 'general' });
    clinicIds.heart = await make('consultations', { patientId: clinicIds.mario, specialty: 'cardiology', summary: 'Mild arrhythmia', seenAt: '2026-11-02T09:00:00Z' });
    clinicIds.skin = await make('consultations', { patientId: clinicIds.mario, specialty: 'dermatology', summary: 'Eczema', seenAt: '2026-11-03T09:00:00Z' });
    // The cardiologist reads the heart consultation: Mario's health data, clear.
    await clinicCall('cardiologist', `/v1/consultations/${clinicIds.heart}`);
    // The DPO reads Luisa: her name as initials, phone and birth date masked.
    await clinicCall('dpo', `/v1/patients/${clinicIds.luisa}`);
    // Reception lists consultations: who is booked and when, nothing the policy protects.
    expect((await clinicCall('reception', '/v1/consultations')).items).toHaveLength(2);
  });
  afterAll(() => clinic?.close());

  it('counts a consultation toward its patient, and the DPO\'s masked read apart', async () => {
    const scope = await clinicCall('dpo', `/v1/incidents/scope?actor=dr-cuore&actor=dpo&${window()}`);
    expect(scope.counts).toEqual({ subjects: 2, records: 2, toNotify: 1, maskedOnly: 1, unprotectedOnly: 0 });
    expect(scope.notify).toHaveLength(1);
    expect(scope.notify[0]).toMatchObject({ resource: 'Patient', id: clinicIds.mario, actors: ['dr-cuore'], protectedClear: ['Consultation.summary'], classes: ['health'] });
    expect(scope.maskedOnly[0]).toMatchObject({
      resource: 'Patient', id: clinicIds.luisa, actors: ['dpo'], masked: ['Patient.birthDate', 'Patient.fullName', 'Patient.phone'], personalClear: [],
    });
    expect(scope.categories).toEqual({ clear: ['health'], maskedOnly: ['contact', 'identity'] });
  });

  it('stops inside an event that would pass its cap on records (a list, an export name many)', async () => {
    const saved = { ...SCOPE_BOUNDS };
    Object.assign(SCOPE_BOUNDS, { maxRecords: 1 });
    try {
      const scope = await clinicCall('dpo', `/v1/incidents/scope?actor=anna&${window()}`);
      // The list showed two consultations: the second was not counted.
      expect(scope.scanned).toMatchObject({ events: 1, truncated: true });
      expect(scope.counts).toMatchObject({ subjects: 1, records: 1 });
    } finally {
      Object.assign(SCOPE_BOUNDS, saved);
    }
  });

  it('reports a list of what nobody protects as neither to notify nor masked', async () => {
    const scope = await clinicCall('dpo', `/v1/incidents/scope?actor=anna&${window()}`);
    expect(scope.counts).toEqual({ subjects: 1, records: 2, toNotify: 0, maskedOnly: 0, unprotectedOnly: 1 });
    expect(scope.unprotectedOnly[0]).toMatchObject({ resource: 'Patient', id: clinicIds.mario, records: 2, events: 1, masked: [], protectedClear: [] });
    expect(scope.unprotectedOnly[0].withheld).toEqual(['Consultation.createdAt', 'Consultation.summary']);
  });
});
