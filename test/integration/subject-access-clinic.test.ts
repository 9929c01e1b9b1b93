import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SUBJECT_BOUNDS } from '../../src/core/subject-access.service.js';
import { projectFile } from '../../src/paths.js';
import { contractSchema } from '../helpers/openapi-schema.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Subject access on the clinic example (policies/examples/clinic.yaml), resources the
// service has no code for: the dpo reads every record masked, so the report is masked
// too. The director is given the Subject right here, to show a stored file's metadata.

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
const SCAN = Buffer.from('%PDF-1.4 ECG trace (fictional)\n');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function writePolicy(): string {
  const doc = parse(readFileSync(projectFile('policies/examples/clinic.yaml'), 'utf8'));
  doc.roles.director.can.push({ actions: ['read'], subject: 'Subject' });
  // A grandchild: notes on a consultation belong to the patient too.
  doc.resources.ConsultationNote = {
    plural: 'consultationNotes',
    parent: { resource: 'Consultation', field: 'consultationId' },
    fields: { id: { type: 'id' }, consultationId: { type: 'ref', resource: 'Consultation', required: true }, text: { type: 'text', class: 'health', mask: 'redact' } },
  };
  doc.roles.director.can.push({ actions: ['read', 'create'], subject: 'ConsultationNote' });
  doc.roles.dpo.can.push({ actions: ['read_masked'], subject: 'ConsultationNote' }, { actions: ['read'], subject: 'ConsultationNote', fields: ['id', 'consultationId'] });
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-subject-clinic-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

async function create(plural: string, body: object): Promise<string> {
  const res = await t.http({ method: 'POST', url: `/v1/${plural}`, headers: as('director'), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function get(who: string, url: string, status = 200) {
  const res = await t.http({ url, headers: as(who) });
  expect(res.statusCode, res.body).toBe(status);
  return res;
}

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: writePolicy(), DEMO_DATA: 'false', RATE_LIMIT_MAX: '0' });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  tokens.dpo = await t.token('paola', 'dpo');
  tokens.cardiologist = await t.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  ids.mario = await create('patients', { fullName: 'Mario Bianchi', phone: '+39 333 123 4567', birthDate: '1961-04-12', specialty: 'cardiology' });
  ids.other = await create('patients', { fullName: 'Greta Neri', specialty: 'general' });
  ids.heart = await create('consultations', { patientId: ids.mario, specialty: 'cardiology', summary: 'Mild arrhythmia', seenAt: '2026-11-02T09:00:00Z' });
  ids.skin = await create('consultations', { patientId: ids.mario, specialty: 'dermatology', summary: 'Eczema', seenAt: '2026-11-03T09:00:00Z' });
  await create('consultations', { patientId: ids.other, specialty: 'general', summary: 'Check-up', seenAt: '2026-11-04T09:00:00Z' });
  ids.note = await create('consultationNotes', { consultationId: ids.skin, text: 'Cream twice a day' });
  ids.heartNote = await create('consultationNotes', { consultationId: ids.heart, text: 'Cream-free: a Holter next week' });
  ids.ecg = await create('medicalDocuments', { patientId: ids.mario, specialty: 'cardiology', title: 'ECG 2026-11-02' });
  const put = await t.http({ method: 'PUT', url: `/v1/medicalDocuments/${ids.ecg}/scan`, headers: { ...as('director'), 'content-type': 'application/pdf' }, payload: SCAN });
  expect(put.statusCode, put.body).toBe(200);
  await get('cardiologist', `/v1/consultations/${ids.heart}`);
  await get('reception', `/v1/patients/${ids.mario}`);
});
afterAll(() => t?.close());

describe('a subject access report in the clinic', () => {
  let report: any;
  beforeAll(async () => {
    report = (await get('dpo', `/v1/subjects/patients/${ids.mario}/access-report`)).json();
  });

  it('shows the dpo the patient masked, as the dpo reads patients', () => {
    expect(contractSchema('SubjectAccessReport')(report)).toEqual([]);
    expect(report.subject).toEqual({ resource: 'Patient', plural: 'patients', id: ids.mario });
    expect(report.record).toMatchObject({ id: ids.mario, fullName: 'Mario B.', phone: '+39 XXX XXX XXXX', birthDate: '[REDACTED]', specialty: 'cardiology' });
    expect(report.record._access).toEqual({ masked: ['fullName', 'phone', 'birthDate'], withheld: ['assignees'] });
    expect(report.limits[0]).toContain('masked fields appear masked');
  });

  it('with its consultations and medical documents, summaries and titles masked, the scan withheld', () => {
    const [consultations, documents] = report.children;
    expect(consultations).toMatchObject({ resource: 'Consultation', parent: 'Patient', visible: true, truncated: false });
    expect(consultations.items.map((c: any) => [c.id, c.specialty, c.summary])).toEqual(
      [[ids.heart, 'cardiology', '[REDACTED]'], [ids.skin, 'dermatology', '[REDACTED]']].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    expect(consultations.items[0]._access).toEqual({ masked: ['summary'], withheld: [] });
    expect(documents).toMatchObject({ resource: 'MedicalDocument', items: [{ id: ids.ecg, title: '[REDACTED]', _access: { masked: ['title'], withheld: ['scan'] } }] });
    expect(documents.items[0]).not.toHaveProperty('scan');
    expect(JSON.stringify(report)).not.toMatch(/Mario Bianchi|arrhythmia|Eczema|ECG 2026|Cream/);
  });

  it("follows the parent chain down: a consultation's notes are the patient's too", () => {
    expect(report.children.map((c: any) => [c.resource, c.parent])).toEqual([
      ['Consultation', 'Patient'],
      ['MedicalDocument', 'Patient'],
      ['ConsultationNote', 'Consultation'],
    ]);
    expect(report.children[2].items).toHaveLength(2);
    expect(report.children[2].items).toContainEqual({ id: ids.note, consultationId: ids.skin, text: '[REDACTED]', _access: { masked: ['text'], withheld: [] } });
    expect(report.children[2].items).toContainEqual({ id: ids.heartNote, consultationId: ids.heart, text: '[REDACTED]', _access: { masked: ['text'], withheld: [] } });
    expect(report.seenBy.accesses).toContainEqual(expect.objectContaining({ action: 'create', resource: 'ConsultationNote', recordIds: [ids.note] }));
  });

  it('stops at its bounds and says so', async () => {
    const saved = { ...SUBJECT_BOUNDS };
    Object.assign(SUBJECT_BOUNDS, { childrenPerResource: 1, annexRows: 2, people: 1 });
    try {
      const small = (await get('dpo', `/v1/subjects/patients/${ids.mario}/access-report`)).json();
      expect(small.children.map((c: any) => [c.resource, c.items.length, c.truncated])).toEqual([
        ['Consultation', 1, true],
        ['MedicalDocument', 1, false],
        // Only the notes of the one consultation listed.
        ['ConsultationNote', 1, false],
      ]);
      expect(small.seenBy.accesses).toHaveLength(2);
      expect(small.children[2].items[0].consultationId).toBe(small.children[0].items[0].id);
      expect(small.seenBy).toMatchObject({ truncated: true, peopleTruncated: true });
      expect(small.seenBy.people).toHaveLength(1);
      expect(small.limits).toEqual(expect.arrayContaining([
        'Only the first 1 consultations are listed.',
        'Only the latest 2 accesses are listed.',
        'Only the 1 people who saw the data most recently are listed.',
      ]));
    } finally {
      Object.assign(SUBJECT_BOUNDS, saved);
    }
  });

  it("names who saw the patient's records, and only this patient's", () => {
    const who = report.seenBy.accesses.map((a: any) => [a.who.sub, a.action, a.resource]);
    expect(who).toContainEqual(['dr-cuore', 'read', 'Consultation']);
    expect(who).toContainEqual(['anna', 'read', 'Patient']);
    expect(who).toContainEqual(['dr-rossi', 'upload', 'MedicalDocument']);
    expect(report.seenBy.accesses.find((a: any) => a.who.sub === 'anna').fields.masked).toEqual(['phone']);
    expect(report.seenBy.people.map((p: any) => p.sub).sort()).toEqual(['anna', 'dr-cuore', 'dr-rossi']);
    const named = report.seenBy.accesses.flatMap((a: any) => a.recordIds);
    expect(named).not.toContain(ids.other);
  });

  it('gives a stored file as its metadata to whoever reads it in clear', async () => {
    const director = (await get('director', `/v1/subjects/patients/${ids.mario}/access-report`)).json();
    expect(director.record.fullName).toBe('Mario Bianchi');
    expect(director.children[1].items[0].scan).toEqual({ mediaType: 'application/pdf', sizeBytes: SCAN.length, sha256: sha256(SCAN) });
  });

  it('refuses reception (403), takes the resource by plural or name, and answers 404 for one the model lacks', async () => {
    await get('reception', `/v1/subjects/patients/${ids.mario}/access-report`, 403);
    await get('dpo', `/v1/subjects/Patient/${ids.mario}/access-report`, 200);
    await get('dpo', `/v1/subjects/Customer/${ids.mario}/access-report`, 404);
    await get('dpo', `/v1/subjects/consultations/${ids.heart}/access-report`, 200);
  });
});
