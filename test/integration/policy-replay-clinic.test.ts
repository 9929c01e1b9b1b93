import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// A replay on the clinic example (policies/examples/clinic.yaml): resources the service
// has no code for, a parent chain (consultations under patients) and a condition on a
// token claim (specialty), over a real port. Figures counted by hand from the reads below.

const CLINIC_FILE = projectFile('policies/examples/clinic.yaml');
const CLINIC = readFileSync(CLINIC_FILE, 'utf8');

function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

/** Reception no longer sees the phone even masked, and confidential patients exist for nobody but the director and the DPO. */
const CANDIDATE = edit(
  edit(CLINIC, '      - actions: [read_masked]\n        subject: Patient\n        fields: [phone]\n        when: visiblePatient\n', ''),
  '    - privacyLevel: { ne: confidential }\n    - assignees: { contains: $principal.sub }\n',
  '    - privacyLevel: { ne: confidential }\n',
);

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

async function create(plural: string, body: object): Promise<string> {
  const res = await t.http({ method: 'POST', url: `/v1/${plural}`, headers: as('director'), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function get(who: string, url: string) {
  const res = await t.http({ url, headers: as(who) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: CLINIC_FILE, DEMO_DATA: 'false' });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  tokens.dpo = await t.token('dpo', 'dpo');
  tokens.cardiologist = await t.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  tokens.dermatologist = await t.idp.sign({ sub: 'dr-pelle', roles: ['cardiologist'], extra: { specialty: 'dermatology' } });
  ids.mario = await create('patients', { fullName: 'Mario Bianchi', phone: '+39 333 123 4567', specialty: 'cardiology' });
  ids.secret = await create('patients', { fullName: 'Greta Verdi', specialty: 'dermatology', privacyLevel: 'confidential', assignees: ['dr-pelle', 'anna'] });
  ids.heart = await create('consultations', { patientId: ids.mario, specialty: 'cardiology', summary: 'Mild arrhythmia', seenAt: '2026-11-02T09:00:00Z' });
  ids.skin = await create('consultations', { patientId: ids.mario, specialty: 'dermatology', summary: 'Eczema', seenAt: '2026-11-03T09:00:00Z' });
  await create('consultations', { patientId: ids.secret, specialty: 'dermatology', summary: 'Follow-up', seenAt: '2026-11-04T09:00:00Z' });

  expect((await get('reception', `/v1/patients/${ids.mario}`))._access.masked).toEqual(['phone']);
  // Reception sees Mario's two consultations and, assigned to her, Greta's.
  expect((await get('reception', '/v1/consultations')).items).toHaveLength(3);
  expect((await get('dpo', `/v1/consultations/${ids.heart}`))._access.masked).toEqual(['summary']);
  expect((await get('cardiologist', `/v1/consultations/${ids.heart}`)).summary).toBe('Mild arrhythmia');
  expect((await get('dermatologist', `/v1/patients/${ids.secret}`)).fullName).toBe('Greta Verdi');
}, 120_000);
afterAll(() => t?.close());

describe('replaying a candidate of the clinic', () => {
  it('counts per role and field over patients and consultations, and keeps what a specialty claim decides apart', async () => {
    const res = await t.http({
      method: 'POST',
      url: '/v1/policy/replay?days=7',
      headers: { ...as('director'), 'content-type': 'application/yaml' },
      payload: CANDIDATE,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    // anna: Mario (1) and a list of 3; the DPO 1; dr-cuore 1; dr-pelle 1.
    expect(body.totals).toEqual({ reads: 7, changed: 3, unchanged: 3, recordGone: 0, undecided: 1 });
    expect(body.changes).toEqual([
      { roles: 'cardiologist', resource: 'Patient', field: null, change: 'visible -> not visible', reads: 1, records: 1 },
      // Greta's consultation: its own rules still let reception read it, its patient no longer exists for her.
      { roles: 'reception', resource: 'Consultation', field: null, change: 'visible -> not visible', reads: 1, records: 1 },
      { roles: 'reception', resource: 'Patient', field: 'phone', change: 'masked -> withheld', reads: 1, records: 1 },
    ]);
    expect(body.losses).toContainEqual({ sub: 'anna', resource: 'Patient', field: 'phone', change: 'masked -> withheld', reads: 1, records: 1 });
    expect(body.losses).toContainEqual({ sub: 'anna', resource: 'Consultation', field: 'seenAt', change: 'clear -> not visible', reads: 1, records: 1 });
    expect(body.losses).toContainEqual({ sub: 'dr-pelle', resource: 'Patient', field: 'fullName', change: 'clear -> not visible', reads: 1, records: 1 });
    expect(new Set(body.losses.map((l: { sub: string }) => l.sub))).toEqual(new Set(['anna', 'dr-pelle']));
    // The cardiologist's consultation rules name $principal.specialty, which the trail does not keep.
    expect(body.unknown).toEqual([{ roles: 'cardiologist', resource: 'Consultation', field: null, reason: 'token claims', reads: 1, records: 1 }]);
    expect(body.limits.join('\n')).toMatch(/Conditions on token claims \(specialty\) are not known/);
    expect(body.notCompared).toEqual([]);
  });
});
