import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Asking to see more on the clinic example, a model with no code of its own: reception
// asks for one patient's birth date, and a person the patient's `assignees` names (not a
// role) approves it. Over a real port with real signed tokens.

let t: TestApp;
const tokens: Record<string, string> = {};
let patient = '';
let other = '';
const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
const post = (who: string, url: string, payload: object = {}) => t.http({ method: 'POST', url, headers: as(who), payload });

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  tokens.assigned = await t.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  tokens.unassigned = await t.idp.sign({ sub: 'dr-altro', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  const create = async (body: object) => (await post('director', '/v1/patients', body)).json().id as string;
  patient = await create({ fullName: 'Mario Bianchi', birthDate: '1970-05-04', specialty: 'cardiology', assignees: ['dr-cuore'] });
  other = await create({ fullName: 'Luca Verdi', birthDate: '1981-02-03', specialty: 'cardiology' });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('asking to see more, on the clinic example', () => {
  it('lets the patient’s assigned doctor approve reception’s request for the birth date, and no one else', async () => {
    const filed = await post('reception', '/v1/access-requests', { resource: 'Patient', id: patient, fields: ['birthDate'], reason: 'Insurance form', minutes: 15 });
    expect(filed.statusCode, filed.body).toBe(201);
    const id = filed.json().id as string;
    expect((await post('reception', '/v1/access-requests', { resource: 'Patient', id: patient, fields: ['birthDate'], reason: 'x', minutes: 16 })).statusCode).toBe(400);

    // A cardiologist who is not on the patient's case does not see it to decide.
    const queue = (await t.http({ url: '/v1/access-requests?status=pending', headers: as('unassigned') })).json().items;
    expect(queue).toEqual([]);
    expect((await post('unassigned', `/v1/access-requests/${id}/approve`)).statusCode).toBe(404);

    const mine = (await t.http({ url: '/v1/access-requests?status=pending', headers: as('assigned') })).json().items;
    expect(mine.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await post('assigned', `/v1/access-requests/${id}/approve`)).json().status).toBe('approved');

    const seen = (await t.http({ url: `/v1/patients/${patient}`, headers: as('reception') })).json();
    expect(seen.birthDate).toBe('1970-05-04');
    expect(seen._access.revealed).toEqual(['birthDate']);
    const list = (await t.http({ url: '/v1/patients', headers: as('reception') })).json().items;
    const byId = new Map(list.map((p: { id: string }) => [p.id, p]));
    expect((byId.get(patient) as Record<string, unknown>).birthDate).toBe('1970-05-04');
    expect(byId.get(other)).not.toHaveProperty('birthDate');
    const { rows } = await t.database.query(`select details from audit_events where action = 'list' and actor_sub = 'anna' order by seq desc limit 1`);
    expect(rows[0].details.grants).toEqual([id]);
  });
});
