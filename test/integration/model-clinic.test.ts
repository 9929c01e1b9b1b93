import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The clinic example (policies/examples/clinic.yaml) served with no code of its own:
// patients, consultations nested under them, specialty-scoped health data. Everything
// over a real port with real signed tokens, as a client would.

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

async function create(who: string, plural: string, body: object) {
  const res = await t.http({ method: 'POST', url: `/v1/${plural}`, headers: as(who), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Record<string, any>;
}

/**
 * The example as shipped, but reception's budget of 100 patients lowered to 2, so a test
 * can reach it, and a registrar who may delete patients but sees general consultations only.
 */
function clinicPolicy(): string {
  const text = readFileSync(projectFile('policies/examples/clinic.yaml'), 'utf8');
  const registrar = ['  registrar:', '    can:', '      - { actions: [read, delete], subject: Patient }', '      - { actions: [read], subject: Consultation, when: { specialty: general } }', ''].join('\n');
  const lowered = `${text.replace('readBudget: { patients: 100,', 'readBudget: { patients: 2,').trimEnd()}\n${registrar}`;
  expect(lowered).toContain('patients: 2,');
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-clinic-')), 'clinic.yaml');
  writeFileSync(file, lowered);
  return file;
}

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: clinicPolicy(), DEMO_DATA: 'false' });
  tokens.director = await t.token('dr-rossi', 'director');

  tokens.reception = await t.token('anna', 'reception');
  tokens.dpo = await t.token('dpo', 'dpo');
  tokens.cardiologist = await t.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  tokens.dermatologist = await t.idp.sign({ sub: 'dr-pelle', roles: ['cardiologist'], extra: { specialty: 'dermatology' } });

  ids.mario = (await create('director', 'patients', { fullName: 'Mario Bianchi', phone: '+39 333 123 4567', birthDate: '1970-05-04', specialty: 'cardiology' })).id;
  ids.secret = (await create('director', 'patients', { fullName: 'Greta Verdi', specialty: 'dermatology', privacyLevel: 'confidential', assignees: ['dr-pelle'] })).id;
  ids.heart = (await create('director', 'consultations', { patientId: ids.mario, specialty: 'cardiology', summary: 'Mild arrhythmia', seenAt: '2026-11-02T09:00:00Z' })).id;
  ids.skin = (await create('director', 'consultations', { patientId: ids.mario, specialty: 'dermatology', summary: 'Eczema', seenAt: '2026-11-03T09:00:00Z' })).id;
  ids.hidden = (await create('director', 'consultations', { patientId: ids.secret, specialty: 'dermatology', summary: 'Follow-up', seenAt: '2026-11-04T09:00:00Z' })).id;
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('the clinic model over REST', () => {
  it('serves patients with the caller’s masks: reception sees the phone masked and no birth date', async () => {
    const res = await t.http({ url: `/v1/patients/${ids.mario}`, headers: as('reception') });
    expect(res.statusCode, res.body).toBe(200);
    const patient = res.json();
    expect(patient.fullName).toBe('Mario Bianchi');
    expect(patient.phone).toMatch(/X/);
    expect(patient.phone).not.toContain('123');
    expect(patient).not.toHaveProperty('birthDate');
    expect(patient._access.masked).toEqual(['phone']);
    expect(patient._access.withheld).toEqual(expect.arrayContaining(['birthDate', 'privacyLevel', 'assignees', 'updatedAt']));
  });

  it('gives the data-protection officer every field, masked where it holds personal data', async () => {
    const patient = (await t.http({ url: `/v1/patients/${ids.mario}`, headers: as('dpo') })).json();
    expect(patient.fullName).toBe('Mario B.');
    expect(patient.birthDate).not.toBe('1970-05-04');
    const consultation = (await t.http({ url: `/v1/consultations/${ids.heart}`, headers: as('dpo') })).json();
    expect(consultation.summary).not.toContain('arrhythmia');
    expect(consultation._access.masked).toEqual(['summary']);
  });

  it('shows a cardiologist the cardiology consultations only', async () => {
    const res = await t.http({ url: '/v1/consultations', headers: as('cardiologist') });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    expect(items.map((c) => c.id)).toEqual([ids.heart]);
    expect(items[0]!.summary).toBe('Mild arrhythmia');
    expect((await t.http({ url: `/v1/consultations/${ids.skin}`, headers: as('cardiologist') })).statusCode).toBe(404);
  });

  it('hides a confidential patient, and its consultations, from staff not assigned to it', async () => {
    expect((await t.http({ url: `/v1/patients/${ids.secret}`, headers: as('reception') })).statusCode).toBe(404);
    const list = (await t.http({ url: '/v1/consultations?limit=100', headers: as('reception') })).json().items as Array<{ id: string }>;
    expect(list.map((c) => c.id)).not.toContain(ids.hidden);
    expect((await t.http({ url: `/v1/consultations/${ids.hidden}`, headers: as('reception') })).statusCode).toBe(404);
    // The dermatologist assigned to her sees both.
    expect((await t.http({ url: `/v1/consultations/${ids.hidden}`, headers: as('dermatologist') })).statusCode).toBe(200);
  });

  it('lets reception book a consultation but not write its summary', async () => {
    const refused = await t.http({
      method: 'POST',
      url: '/v1/consultations',
      headers: as('reception'),
      payload: { patientId: ids.mario, specialty: 'general', seenAt: '2026-12-01T10:00:00Z', summary: 'x' },
    });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().code).toBe('FIELD_NOT_WRITABLE');
    const booked = await create('reception', 'consultations', { patientId: ids.mario, specialty: 'general', seenAt: '2026-12-01T10:00:00Z' });
    expect(booked.specialty).toBe('general');
    expect(booked).not.toHaveProperty('summary');
    // A patient reception may not see cannot be booked: it does not exist for them.
    const hidden = await t.http({ method: 'POST', url: '/v1/consultations', headers: as('reception'), payload: { patientId: ids.secret, specialty: 'general', seenAt: '2026-12-01T10:00:00Z' } });
    expect(hidden.statusCode).toBe(404);
  });

  it('validates writes against the model: types, enums, unknown fields and masked values', async () => {
    const send = (payload: object) => t.http({ method: 'POST', url: '/v1/patients', headers: as('director'), payload });
    expect((await send({ fullName: 'A', birthDate: 'yesterday' })).json().code).toBe('VALIDATION_FAILED');
    expect((await send({ fullName: 'A', specialty: 'surgery' })).json().code).toBe('VALIDATION_FAILED');
    expect((await send({ fullName: 'A', shoeSize: 44 })).json().code).toBe('UNKNOWN_FIELD');
    expect((await send({ phone: '+39 333 000 0000' })).json().code).toBe('VALIDATION_FAILED');
    const masked = await t.http({ method: 'PATCH', url: `/v1/patients/${ids.mario}`, headers: as('director'), payload: { phone: '+39 XXX XXX XXXX' } });
    expect(masked.json().code).toBe('MASKED_VALUE');
  });

  it('filters and sorts only on fields read in clear', async () => {
    const bySpecialty = await t.http({ url: '/v1/patients?filter[specialty]=cardiology', headers: as('reception') });
    expect(bySpecialty.statusCode, bySpecialty.body).toBe(200);
    expect(bySpecialty.json().items.map((p: { id: string }) => p.id)).toEqual([ids.mario]);
    const byPhone = await t.http({ url: '/v1/patients?filter[phone]=%2B39', headers: as('reception') });
    expect(byPhone.statusCode).toBe(400);
    expect(byPhone.json().code).toBe('FIELD_NOT_QUERYABLE');
    const sorted = await t.http({ url: '/v1/consultations?sort=-seenAt&limit=1', headers: as('director') });
    expect(sorted.statusCode, sorted.body).toBe(200);
    const first = sorted.json();
    expect(first.items).toHaveLength(1);
    const next = await t.http({ url: `/v1/consultations?sort=-seenAt&limit=1&cursor=${first.nextCursor}`, headers: as('director') });
    expect(next.json().items[0].seenAt < first.items[0].seenAt).toBe(true);
  });

  it('exports patients for the director, and refuses reception', async () => {
    const csv = await t.http({ url: '/v1/patients/export?format=csv', headers: as('director') });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/patients-/);
    expect(csv.body.split('\n')[0]).toContain('fullName');
    expect(csv.body).toContain('Mario Bianchi');
    const refused = await t.http({ url: '/v1/patients/export', headers: as('reception') });
    expect(refused.statusCode).toBe(403);
  });

  it('refuses to delete a patient who still has consultations, and audits with the resource type', async () => {
    const res = await t.http({ method: 'DELETE', url: `/v1/patients/${ids.mario}`, headers: as('director') });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('HAS_CHILDREN');
    const gone = await t.http({ method: 'DELETE', url: `/v1/consultations/${ids.skin}`, headers: as('director') });
    expect(gone.statusCode).toBe(204);
    const { rows } = await t.database.query(`select action, resource_type, outcome from audit_events where $1 = any(resource_ids) order by seq`, [ids.skin]);
    expect(rows.map((r: { action: string; resource_type: string }) => `${r.resource_type}:${r.action}`)).toEqual(expect.arrayContaining(['Consultation:create', 'Consultation:delete']));
  });

  it('counts patients against reception’s budget, apart from consultations', async () => {
    // Reception has read one patient so far (Mario); two more make three, over its two.
    await create('director', 'patients', { fullName: 'Luca Neri', specialty: 'general' });
    await create('director', 'patients', { fullName: 'Sara Blu', specialty: 'general' });
    const over = await t.http({ url: '/v1/patients?limit=100', headers: as('reception') });
    expect(over.statusCode, over.body).toBe(429);
    expect(over.json().code).toBe('BUDGET_EXCEEDED');
    expect(over.json().detail).toMatch(/2 patients per 1h/);
    // Consultations are another resource, with no budget for reception.
    expect((await t.http({ url: '/v1/consultations', headers: as('reception') })).statusCode).toBe(200);
    const { rows } = await t.database.query(`select resource_type from audit_events where action = 'anomaly.bulk_access' and actor_sub = 'anna'`);
    expect(rows).toEqual([{ resource_type: 'Patient' }]);
  });

  it('previews a consultation as another principal would see it, parents included', async () => {
    const preview = (principal: object, id: string) =>
      t.http({ method: 'POST', url: '/v1/policy/preview', headers: as('director'), payload: { principal, resource: 'Consultation', id } });
    const cardio = await preview({ sub: 'dr-cuore', roles: ['cardiologist'], claims: { specialty: 'cardiology' } }, ids.heart!);
    expect(cardio.statusCode, cardio.body).toBe(200);
    expect(cardio.json()).toMatchObject({ visible: true, object: { summary: 'Mild arrhythmia' }, fields: { summary: { decision: 'clear' } } });
    const reception = (await preview({ sub: 'anna', roles: ['reception'] }, ids.heart!)).json();
    expect(reception.visible).toBe(true);
    expect(reception.object).not.toHaveProperty('summary');
    expect(reception.fields.summary.decision).toBe('withheld');
    // The consultation's own rules let reception read it, but its patient is confidential.
    expect((await preview({ sub: 'anna', roles: ['reception'] }, ids.hidden!)).json()).toMatchObject({ visible: false, object: null });
    const { rows } = await t.database.query(`select resource_type from audit_events where action = 'preview' and actor_sub = 'dr-rossi'`);
    expect(rows.every((r: { resource_type: string }) => r.resource_type === 'Consultation')).toBe(true);
  });

  it('names only children the caller sees when a delete is refused, and audits the refusal', async () => {
    tokens.registrar = await t.token('rita', 'registrar');
    // Mario has a general consultation the registrar sees: the 409 may name consultations.
    const named = await t.http({ method: 'DELETE', url: `/v1/patients/${ids.mario}`, headers: as('registrar') });
    expect(named.statusCode, named.body).toBe(409);
    expect(named.json().resources).toEqual(['Consultation']);
    // A patient whose only consultation the registrar may not see: 403, nothing named.
    const lone = await create('director', 'patients', { fullName: 'Ugo Rosa', specialty: 'dermatology' });
    await create('director', 'consultations', { patientId: lone.id, specialty: 'dermatology', seenAt: '2026-11-05T09:00:00Z' });
    const hidden = await t.http({ method: 'DELETE', url: `/v1/patients/${lone.id}`, headers: as('registrar') });
    expect(hidden.statusCode).toBe(403);
    expect(hidden.body).not.toMatch(/consultation/i);
    // With no children left at all, the delete goes through.
    const bare = await create('director', 'patients', { fullName: 'Eva Gialli', specialty: 'general' });
    expect((await t.http({ method: 'DELETE', url: `/v1/patients/${bare.id}`, headers: as('registrar') })).statusCode).toBe(204);
    const { rows } = await t.database.query(
      `select outcome from audit_events where action = 'delete' and resource_type = 'Patient' and resource_ids && $1::text[] order by seq`,
      [[ids.mario, lone.id, bare.id]],
    );
    expect(rows.map((r: { outcome: string }) => r.outcome)).toEqual(['denied', 'denied', 'denied', 'allowed']);
  });

  it('holds a conditional create rule on the record as stored', async () => {
    const cardiologist = { authorization: `Bearer ${tokens.cardiologist}` };
    const own = await t.http({ method: 'POST', url: '/v1/medicalDocuments', headers: cardiologist, payload: { patientId: ids.mario, specialty: 'cardiology', title: 'ECG' } });
    expect(own.statusCode, own.body).toBe(201);
    const other = await t.http({ method: 'POST', url: '/v1/medicalDocuments', headers: cardiologist, payload: { patientId: ids.mario, specialty: 'dermatology', title: 'Biopsy' } });
    expect(other.statusCode).toBe(403);
  });
});
