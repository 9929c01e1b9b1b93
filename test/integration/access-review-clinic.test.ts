import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// An access review on the clinic example (policies/examples/clinic.yaml): resources the
// service has no code for, a parent chain and a grant on a token claim (specialty), over
// a real port. Figures counted by hand from the requests below.

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

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

let review: any;
const personOf = (sub: string) => review.people.find((p: any) => p.sub === sub);
const fieldOf = (sub: string, resource: string, field: string) => personOf(sub).fields.find((f: any) => f.resource === resource && f.field === field);

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  tokens.dpo = await t.token('dpo', 'dpo');
  tokens.cardiologist = await t.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  ids.mario = await create('patients', { fullName: 'Mario Bianchi', phone: '+39 333 123 4567', specialty: 'cardiology' });
  ids.heart = await create('consultations', { patientId: ids.mario, specialty: 'cardiology', summary: 'Mild arrhythmia', seenAt: '2026-11-02T09:00:00Z' });
  await create('consultations', { patientId: ids.mario, specialty: 'dermatology', summary: 'Eczema', seenAt: '2026-11-03T09:00:00Z' });
  // The cardiologist reads the heart consultation twice and lists what they see (one).
  await get('cardiologist', `/v1/consultations/${ids.heart}`);
  await get('cardiologist', `/v1/consultations/${ids.heart}`);
  expect((await get('cardiologist', '/v1/consultations')).json().items).toHaveLength(1);
  // Reception reads the patient (phone masked) and lists consultations (no summary).
  await get('reception', `/v1/patients/${ids.mario}`);
  await get('reception', '/v1/consultations');
  await get('director', '/v1/patients/export?format=csv');
  review = (await get('dpo', '/v1/access-review?days=7')).json();
});
afterAll(() => t?.close());

describe('an access review of the clinic', () => {
  it('reads every resource of the model: 3 creates, 3 + 2 reads, an export and its completion', () => {
    expect(review.scanned).toMatchObject({ events: 10, truncated: false });
    expect(review.people.map((p: any) => [p.sub, p.roles, p.events])).toEqual([
      ['anna', ['reception'], 2],
      ['dr-cuore', ['cardiologist'], 3],
      ['dr-rossi', ['director'], 5],
    ]);
  });

  it("sets a grant on the token's specialty against the cardiologist's reads", () => {
    // Consultations exist for them in their specialty only, and there the summary is clear.
    expect(fieldOf('dr-cuore', 'Consultation', 'summary')).toMatchObject({ grant: 'clear', clearReads: 3, maskedReads: 0, finding: 'used' });
    expect(fieldOf('dr-cuore', 'Patient', 'fullName')).toMatchObject({ grant: 'clear', clearReads: 0, finding: 'unused' });
    expect(personOf('dr-cuore').unused).toContain('MedicalDocument.scan');
    expect(fieldOf('anna', 'Patient', 'phone')).toMatchObject({ grant: 'masked', grantText: 'masked (digits)', maskedReads: 1, finding: 'used' });
    expect(fieldOf('anna', 'Consultation', 'summary')).toBeUndefined();
    expect(personOf('anna').unused).toEqual([]);
  });

  it('names export rights used and unused, and roles nobody held', () => {
    expect(review.exportRights).toEqual([
      { role: 'director', resource: 'Patient', holders: 1, exports: 1, unused: false },
      { role: 'director', resource: 'Consultation', holders: 1, exports: 0, unused: true },
      { role: 'director', resource: 'MedicalDocument', holders: 1, exports: 0, unused: true },
    ]);
    expect(review.rolesNotSeen).toEqual(['dpo']);
    expect(review.notSeen.people).toEqual([]);
  });

  it('suggests narrowing what nobody read, and says what the diff cannot know about claims', () => {
    expect(review.suggestions.map((s: any) => s.role)).toEqual(['cardiologist', 'director']);
    const director = review.suggestions[1];
    expect(director.edit).toBe(
      'roles:\n  director:\n    cannot:\n      - actions: [read]\n        subject: MedicalDocument\n        fields: [id, patientId, specialty, title, scan, createdAt]\n        reason: "Access review: not read this way by anyone holding director in 7 days."\n',
    );
    expect(director.diff).toContain('director  MedicalDocument.scan  clear -> withheld');
    const cardiologist = review.suggestions[0];
    expect(cardiologist.fields).toContainEqual({ resource: 'MedicalDocument', field: 'title', remove: ['clear'] });
    expect(cardiologist.fields.some((f: any) => f.resource === 'Consultation')).toBe(false);
    expect(cardiologist.diff).toContain('cardiologist  Patient.phone  clear -> withheld');
    expect(review.limits.join(' ')).toContain('without token claims (specialty)');
  });

  it('serves the table as CSV to the DPO, and refuses reception', async () => {
    const csv = (await get('dpo', '/v1/access-review?days=7&format=csv')).body;
    expect(csv).toContain('dr-cuore,cardiologist,Consultation,summary,clear,false,3,0,');
    await get('reception', '/v1/access-review', 403);
  });
});
