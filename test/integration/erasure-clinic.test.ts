import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { databaseHolding } from '../helpers/marker-scan.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Erasure on the clinic example (policies/examples/clinic.yaml): resources the service has
// no code for, children through the parent chain (consultations, medical documents) and a
// generic `file` field (a scan, in record_files and medical_document_chunks). Over a real
// port; the dpo there reads patients masked, yet may erase them.

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

const MARK = {
  name: 'Zqxpatient Clinicmarker',
  phone: '+39 333 771 9924',
  summary: 'zqxsummary clinicmarker: arrhythmia after stress',
  title: 'zqxtitle clinicmarker ECG',
  scan: 'zqxscan clinicmarker: scan bytes',
};

async function create(plural: string, body: object): Promise<string> {
  const res = await t.http({ method: 'POST', url: `/v1/${plural}`, headers: as('director'), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  tokens.dpo = await t.token('dpo', 'dpo');
  ids.mario = await create('patients', { fullName: MARK.name, phone: MARK.phone, birthDate: '1970-05-04', specialty: 'cardiology' });
  ids.other = await create('patients', { fullName: 'Greta Verdi', specialty: 'general' });
  ids.c1 = await create('consultations', { patientId: ids.mario, specialty: 'cardiology', summary: MARK.summary, seenAt: '2026-11-02T09:00:00Z' });
  ids.c2 = await create('consultations', { patientId: ids.mario, specialty: 'dermatology', summary: 'Eczema', seenAt: '2026-11-03T09:00:00Z' });
  ids.c3 = await create('consultations', { patientId: ids.other, specialty: 'general', summary: 'Check-up', seenAt: '2026-11-04T09:00:00Z' });
  ids.ecg = await create('medicalDocuments', { patientId: ids.mario, specialty: 'cardiology', title: MARK.title });
  const put = await t.http({ method: 'PUT', url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: { ...as('director'), 'content-type': 'application/pdf' }, payload: Buffer.from(MARK.scan) });
  expect(put.statusCode, put.body).toBe(200);
}, 120_000);
afterAll(() => t?.close());

describe('erasing a clinic patient', () => {
  it('finds the planted values before', async () => {
    const found = await databaseHolding(t.database, Object.values(MARK));
    for (const marker of Object.values(MARK)) expect(found.get(marker), marker).toBeDefined();
    expect(found.get(MARK.scan)).toEqual(['public.medical_document_chunks']);
  });

  it('refuses reception (403) and a held consultation (409 LEGAL_HOLD)', async () => {
    expect((await t.http({ method: 'POST', url: `/v1/subjects/Patient/${ids.mario}/erase`, headers: as('reception'), payload: { reason: 'asked' } })).statusCode).toBe(403);
    const hold = await t.http({ method: 'POST', url: `/v1/subjects/Consultation/${ids.c2}/hold`, headers: as('dpo'), payload: { reason: 'malpractice claim' } });
    expect(hold.statusCode, hold.body).toBe(200);
    const held = await t.http({ method: 'POST', url: `/v1/subjects/Patient/${ids.mario}/erase`, headers: as('dpo'), payload: { reason: 'asked' } });
    expect(held.statusCode).toBe(409);
    expect(held.json()).toMatchObject({ code: 'LEGAL_HOLD', held: [{ resource: 'Consultation', id: ids.c2 }] });
    expect((await t.http({ method: 'DELETE', url: `/v1/subjects/Consultation/${ids.c2}/hold`, headers: as('dpo') })).statusCode).toBe(200);
  });

  it('erases the patient, its consultations and its medical document with the scan', async () => {
    const res = await t.http({ method: 'POST', url: `/v1/subjects/Patient/${ids.mario}/erase`, headers: as('dpo'), payload: { reason: 'patient moved abroad, asked in writing' } });
    expect(res.statusCode, res.body).toBe(200);
    const structure = 'record structure, no personal data';
    expect(res.json().resources).toEqual([
      {
        resource: 'Patient',
        records: 1,
        deleted: ['phone', 'birthDate'],
        anonymised: ['fullName'],
        kept: ['id', 'specialty', 'privacyLevel', 'assignees', 'remindersConsent', 'createdAt', 'updatedAt'].map((field) => ({ field, legalBasis: structure })),
        filesRemoved: 0,
      },
      {
        resource: 'Consultation',
        records: 2,
        deleted: ['summary'],
        anonymised: [],
        kept: [
          { field: 'id', legalBasis: structure },
          { field: 'patientId', legalBasis: structure },
          { field: 'specialty', legalBasis: structure },
          { field: 'seenAt', legalBasis: 'health records: when care was given (Art. 9(2)(h))' },
          { field: 'createdAt', legalBasis: structure },
        ],
        filesRemoved: 0,
      },
      {
        resource: 'MedicalDocument',
        records: 1,
        deleted: ['scan'],
        anonymised: ['title'],
        kept: ['id', 'patientId', 'specialty', 'createdAt'].map((field) => ({ field, legalBasis: structure })),
        filesRemoved: 1,
      },
    ]);
    const { rows } = await t.database.query(`select seq::text, details from audit_events where event_id = $1`, [res.json().audit.eventId]);
    expect(rows[0].seq).toBe(res.json().audit.seq);
    expect(rows[0].details.records).toEqual({ Consultation: [ids.c1, ids.c2].sort(), MedicalDocument: [ids.ecg] });
  });

  it('leaves the records as structure, the scan gone, the other patient untouched', async () => {
    const patient = (await t.http({ url: `/v1/patients/${ids.mario}`, headers: as('director') })).json();
    expect(patient).toMatchObject({ fullName: '[erased]', phone: null, birthDate: null, specialty: 'cardiology' });
    const doc = (await t.http({ url: `/v1/medicalDocuments/${ids.ecg}`, headers: as('director') })).json();
    expect(doc).toMatchObject({ title: '[erased]', scan: null });
    const scan = await t.http({ url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: as('director') });
    expect(scan.statusCode).toBe(404);
    expect((await t.http({ url: `/v1/consultations/${ids.c1}`, headers: as('director') })).json()).toMatchObject({ summary: null, seenAt: '2026-11-02T09:00:00.000Z' });
    expect((await t.http({ url: `/v1/consultations/${ids.c3}`, headers: as('director') })).json()).toMatchObject({ summary: 'Check-up' });
    expect((await t.http({ url: `/v1/patients/${ids.other}`, headers: as('director') })).json()).toMatchObject({ fullName: 'Greta Verdi' });
  });

  it('leaves no planted value in any table, and the trail verifies', async () => {
    expect(Object.fromEntries(await databaseHolding(t.database, Object.values(MARK)))).toEqual({});
    const verify = await t.http({ url: '/v1/audit/verify', headers: as('director') });
    expect(verify.statusCode, verify.body).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true, firstBroken: null });
  });
});
