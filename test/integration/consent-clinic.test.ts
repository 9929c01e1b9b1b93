import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { GRAPHQL_ACCEPT, startTestApp, type TestApp } from '../helpers/test-app.js';

// The clinic example's `reminders` purpose (opt-in: only patients who said yes), with the
// tables the model planner creates, over a real port with real signed tokens.

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const as = (who: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${tokens[who]}`, ...extra });
const REMINDERS = { 'x-purpose': 'reminders' };

async function create(body: object) {
  const res = await t.http({ method: 'POST', url: '/v1/patients', headers: as('director'), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  ids.yes = await create({ fullName: 'Mario Bianchi', phone: '+39 333 123 4567', specialty: 'cardiology', remindersConsent: true });
  ids.no = await create({ fullName: 'Laura Neri', phone: '+39 333 765 4321', specialty: 'general', remindersConsent: false });
  // Never asked: the default (false) is not a yes.
  ids.unasked = await create({ fullName: 'Paolo Gialli', phone: '+39 333 000 1111', specialty: 'general' });
}, 120_000);
afterAll(() => t?.close());

describe('the clinic’s reminders consent', () => {
  it('is a column the planner created, false by default', async () => {
    const { rows } = await t.database.query(`select full_name, reminders_consent from clinic_patients order by full_name`);
    expect(rows).toEqual([
      { full_name: 'Laura Neri', reminders_consent: false },
      { full_name: 'Mario Bianchi', reminders_consent: true },
      { full_name: 'Paolo Gialli', reminders_consent: false },
    ]);
  });

  it('withholds the name and phone of patients who did not opt in, for a read declaring reminders', async () => {
    const res = await t.http({ url: '/v1/patients', headers: as('reception', REMINDERS) });
    expect(res.statusCode, res.body).toBe(200);
    const byId = new Map(res.json().items.map((p: any) => [p.id, p]));
    const laura = byId.get(ids.no) as any;
    expect(laura).not.toHaveProperty('fullName');
    expect(laura).not.toHaveProperty('phone');
    expect(laura._access.optedOut).toEqual({ purpose: 'reminders', fields: ['fullName', 'phone'], reason: 'The subject has not consented to reminders.' });
    expect((byId.get(ids.unasked) as any)._access.optedOut.fields).toEqual(['fullName', 'phone']);
    const mario = byId.get(ids.yes) as any;
    expect(mario.fullName).toBe('Mario Bianchi');
    expect(mario.phone).toBe('+39 XXX XXX XXXX');
    expect(mario._access).not.toHaveProperty('optedOut');
  });

  it('withholds them in GraphQL too, and not without the purpose', async () => {
    const query = { query: `{ patient(id: "${ids.no}") { fullName phone access { optedOut { purpose } } } }` };
    const ask = (extra: Record<string, string>) =>
      t.http({ method: 'POST', url: '/graphql', headers: { ...as('director', extra), 'content-type': 'application/json', accept: GRAPHQL_ACCEPT }, payload: query });
    const declared = (await ask(REMINDERS)).json();
    expect(declared.data.patient).toEqual({ fullName: null, phone: null, access: { optedOut: { purpose: 'reminders' } } });
    const plain = (await ask({})).json();
    expect(plain.data.patient).toEqual({ fullName: 'Laura Neri', phone: '+39 333 765 4321', access: { optedOut: null } });
  });

  it('gives the director the reminders audience: only the patient who opted in', async () => {
    const res = await t.http({ url: '/v1/audiences/Patient/reminders?format=csv', headers: as('director') });
    expect(res.statusCode, res.body).toBe(200);
    expect(parseCsv(res.body, { columns: true })).toEqual([{ id: ids.yes, fullName: 'Mario Bianchi', phone: "'+39 333 123 4567" }]);
  });

  it('refuses reception, which has no audience right', async () => {
    const res = await t.http({ url: '/v1/audiences/Patient/reminders', headers: as('reception') });
    expect(res.statusCode).toBe(403);
  });
});
