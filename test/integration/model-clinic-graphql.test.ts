import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// The clinic example (policies/examples/clinic.yaml) over GraphQL: types, queries,
// mutations, refs and nested lists generated from the model, over a real port with real
// signed tokens. The REST side of the same model is model-clinic.test.ts.

// The same graphql module instance mercurius uses (CommonJS), or its schema cannot be printed.
const { printSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

let t: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

const ask = (who: string, query: string, variables: Record<string, unknown> = {}) => graphql(t.app, tokens[who]!, query, variables);

/** The data of a query that must succeed. */
async function data(who: string, query: string, variables: Record<string, unknown> = {}) {
  const { status, body } = await ask(who, query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data!;
}

/** The one error code of a query that must fail. */
async function errorCode(who: string, query: string, variables: Record<string, unknown> = {}) {
  const { body } = await ask(who, query, variables);
  expect(body.errors, JSON.stringify(body)).toHaveLength(1);
  return body.errors![0].extensions.code as string;
}

const CREATE_PATIENT = `mutation ($input: CreatePatientInput!) { createPatient(input: $input) { id fullName phone birthDate specialty privacyLevel assignees access { masked withheld } } }`;
const CREATE_CONSULTATION = `mutation ($input: CreateConsultationInput!) { createConsultation(input: $input) { id patientId specialty summary seenAt } }`;

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
  tokens.director = await t.token('dr-rossi', 'director');
  tokens.reception = await t.token('anna', 'reception');
  tokens.dpo = await t.token('dpo', 'dpo');
  tokens.cardiologist = await t.idp.sign({ sub: 'dr-cuore', roles: ['cardiologist'], extra: { specialty: 'cardiology' } });
  tokens.dermatologist = await t.idp.sign({ sub: 'dr-pelle', roles: ['cardiologist'], extra: { specialty: 'dermatology' } });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('the clinic model over GraphQL', () => {
  it('lets the director create patients and consultations with the generated mutations', async () => {
    const mario = (await data('director', CREATE_PATIENT, { input: { fullName: 'Mario Bianchi', phone: '+39 333 123 4567', birthDate: '1970-05-04', specialty: 'cardiology' } })).createPatient;
    expect(mario).toMatchObject({ fullName: 'Mario Bianchi', birthDate: '1970-05-04', privacyLevel: 'standard', assignees: [], access: { masked: [], withheld: [] } });
    ids.mario = mario.id;
    const secret = (await data('director', CREATE_PATIENT, { input: { fullName: 'Greta Verdi', specialty: 'dermatology', privacyLevel: 'confidential', assignees: ['dr-pelle'] } })).createPatient;
    expect(secret.assignees).toEqual(['dr-pelle']);
    ids.secret = secret.id;
    const consult = async (input: object) => (await data('director', CREATE_CONSULTATION, { input })).createConsultation;
    const heart = await consult({ patientId: ids.mario, specialty: 'cardiology', summary: 'Mild arrhythmia', seenAt: '2026-11-02T09:00:00Z' });
    expect(heart).toMatchObject({ patientId: ids.mario, specialty: 'cardiology', summary: 'Mild arrhythmia' });
    ids.heart = heart.id;
    ids.skin = (await consult({ patientId: ids.mario, specialty: 'dermatology', summary: 'Eczema', seenAt: '2026-11-03T09:00:00Z' })).id;
    ids.hidden = (await consult({ patientId: ids.secret, specialty: 'dermatology', summary: 'Follow-up', seenAt: '2026-11-04T09:00:00Z' })).id;
    const updated = await data('director', `mutation ($id: ID!) { updatePatient(id: $id, input: { phone: "+39 333 765 4321" }) { phone } }`, { id: ids.mario });
    expect(updated.updatePatient.phone).toBe('+39 333 765 4321');
  });

  it('shows a cardiologist the cardiology consultations only, with the summary in clear', async () => {
    const { consultations } = await data('cardiologist', `{ consultations(first: 100) { nodes { id specialty summary access { masked withheld } } pageInfo { hasNextPage } } }`);
    expect(consultations.nodes).toEqual([{ id: ids.heart, specialty: 'cardiology', summary: 'Mild arrhythmia', access: { masked: [], withheld: [] } }]);
    expect(await errorCode('cardiologist', `query ($id: ID!) { consultation(id: $id) { id } }`, { id: ids.skin })).toBe('NOT_FOUND');
    // Nested under the patient, the same rules hold.
    const { patient } = await data('cardiologist', `query ($id: ID!) { patient(id: $id) { consultations { nodes { id summary } } } }`, { id: ids.mario });
    expect(patient.consultations.nodes).toEqual([{ id: ids.heart, summary: 'Mild arrhythmia' }]);
  });

  it('gives reception the phone masked and no birth date, and says so in access', async () => {
    const { patient } = await data('reception', `query ($id: ID!) { patient(id: $id) { id fullName phone birthDate access { masked withheld } } }`, { id: ids.mario });
    expect(patient.fullName).toBe('Mario Bianchi');
    expect(patient.phone).toMatch(/X/);
    expect(patient.phone).not.toContain('765');
    expect(patient.birthDate).toBeNull();
    expect(patient.access.masked).toEqual(['phone']);
    expect(patient.access.withheld).toEqual(expect.arrayContaining(['birthDate', 'privacyLevel', 'assignees', 'updatedAt']));
  });

  it('resolves Consultation.patient by the caller’s patient rules, audited as a read of the patient', async () => {
    const query = `query ($id: ID!) { consultation(id: $id) { patientId patient { id fullName phone birthDate access { masked } } } }`;
    const atDesk = (await data('reception', query, { id: ids.heart })).consultation;
    expect(atDesk.patient).toMatchObject({ id: ids.mario, fullName: 'Mario Bianchi', birthDate: null, access: { masked: ['phone'] } });
    expect(atDesk.patient.phone).toMatch(/X/);
    const dpo = (await data('dpo', query, { id: ids.heart })).consultation;
    expect(dpo.patient.fullName).toBe('Mario B.');
    const { rows } = await t.database.query(
      `select action from audit_events where actor_sub = 'dpo' and resource_type = 'Patient' and $1 = any(resource_ids) order by seq`,
      [ids.mario],
    );
    expect(rows.map((r: { action: string }) => r.action)).toContain('read');
  });

  it('hides a confidential patient from staff not assigned to it (NOT_FOUND), and shows it to the one assigned', async () => {
    expect(await errorCode('reception', `query ($id: ID!) { patient(id: $id) { id } }`, { id: ids.secret })).toBe('NOT_FOUND');
    expect(await errorCode('reception', `query ($id: ID!) { consultation(id: $id) { id } }`, { id: ids.hidden })).toBe('NOT_FOUND');
    const { patients } = await data('reception', `{ patients(first: 100) { nodes { id } } }`);
    expect(patients.nodes.map((p: { id: string }) => p.id)).not.toContain(ids.secret);
    const { patient } = await data('dermatologist', `query ($id: ID!) { patient(id: $id) { fullName consultations { nodes { id } } } }`, { id: ids.secret });
    expect(patient).toEqual({ fullName: 'Greta Verdi', consultations: { nodes: [{ id: ids.hidden }] } });
  });

  it('refuses writes the way REST does: FIELD_NOT_WRITABLE, VALIDATION_FAILED, MASKED_VALUE', async () => {
    expect(await errorCode('reception', CREATE_PATIENT, { input: { fullName: 'A', privacyLevel: 'confidential' } })).toBe('FIELD_NOT_WRITABLE');
    expect(await errorCode('reception', CREATE_CONSULTATION, { input: { patientId: ids.mario, specialty: 'general', seenAt: '2026-12-01T10:00:00Z', summary: 'x' } })).toBe('FIELD_NOT_WRITABLE');
    expect(await errorCode('director', CREATE_PATIENT, { input: { fullName: 'A', birthDate: 'yesterday' } })).toBe('VALIDATION_FAILED');
    expect(await errorCode('director', CREATE_PATIENT, { input: { fullName: 'A', specialty: 'surgery' } })).toBe('VALIDATION_FAILED');
    const masked = `mutation ($id: ID!) { updatePatient(id: $id, input: { phone: "+39 XXX XXX XXXX" }) { id } }`;
    expect(await errorCode('director', masked, { id: ids.mario })).toBe('MASKED_VALUE');
    // A patient reception may not see cannot be booked: it does not exist for them.
    expect(await errorCode('reception', CREATE_CONSULTATION, { input: { patientId: ids.secret, specialty: 'general', seenAt: '2026-12-01T10:00:00Z' } })).toBe('NOT_FOUND');
  });

  it('filters and sorts the generated lists only on fields read in clear', async () => {
    const bySpecialty = await data('reception', `{ patients(filter: [{ field: "specialty", equals: "cardiology" }]) { nodes { id } } }`);
    expect(bySpecialty.patients.nodes.map((p: { id: string }) => p.id)).toEqual([ids.mario]);
    expect(await errorCode('reception', `{ patients(filter: [{ field: "phone", equals: "+39" }]) { nodes { id } } }`)).toBe('FIELD_NOT_QUERYABLE');
    const first = await data('director', `{ consultations(first: 1, sort: "-seenAt") { nodes { seenAt } pageInfo { endCursor hasNextPage } } }`);
    expect(first.consultations.pageInfo.hasNextPage).toBe(true);
    const next = await data('director', `query ($after: String) { consultations(first: 1, sort: "-seenAt", after: $after) { nodes { seenAt } } }`, {
      after: first.consultations.pageInfo.endCursor,
    });
    expect(next.consultations.nodes[0].seenAt < first.consultations.nodes[0].seenAt).toBe(true);
  });

  it('pages a nested list with its own cursor, valid only under its parent', async () => {
    const query = `query ($id: ID!, $after: String) { patient(id: $id) { consultations(first: 1, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } } }`;
    const one = (await data('director', query, { id: ids.mario })).patient.consultations;
    expect(one.pageInfo.hasNextPage).toBe(true);
    const two = (await data('director', query, { id: ids.mario, after: one.pageInfo.endCursor })).patient.consultations;
    expect([...one.nodes, ...two.nodes].map((c: { id: string }) => c.id).sort()).toEqual([ids.heart, ids.skin].sort());
    expect(two.pageInfo).toEqual({ endCursor: null, hasNextPage: false });
    // Mario's cursor replayed under Greta is not one this list issued.
    expect(await errorCode('director', query, { id: ids.secret, after: one.pageInfo.endCursor })).toBe('INVALID_CURSOR');
  });

  it('batches Patient.consultations and Consultation.patient: 30 patients cost as many statements as 3', async () => {
    const { rows } = await t.database.query(`insert into clinic_patients (full_name, specialty) select 'Batch ' || g, 'general' from generate_series(1, 30) g returning id`);
    for (const r of rows) {
      await t.database.query(
        `insert into consultations (patient_id, specialty, summary, seen_at) values ($1, 'general', 'a', now()), ($1, 'general', 'b', now())`,
        [r.id],
      );
    }
    const query = (n: number) =>
      `{ patients(first: ${n}, filter: [{ field: "specialty", equals: "general" }]) { nodes { id consultations(first: 5) { nodes { id summary patient { fullName } } } } } }`;
    const cost = async (n: number) => {
      const before = t.statements();
      const body = await data('director', query(n));
      const nested = body.patients.nodes.flatMap((p: { consultations: { nodes: Array<{ patient: { fullName: string } }> } }) => p.consultations.nodes);
      expect(nested.every((c: { patient: { fullName: string } }) => c.patient.fullName.startsWith('Batch'))).toBe(true);
      return { statements: t.statements() - before, consultations: nested.length };
    };
    const small = await cost(3);
    const large = await cost(30);
    expect(small.consultations).toBe(6);
    expect(large.consultations).toBe(60);
    expect(large.statements).toBe(small.statements);
    // One `list` event for the whole nested level, naming every consultation shown.
    const { rows: events } = await t.database.query(
      `select cardinality(resource_ids) as n from audit_events where actor_sub = 'dr-rossi' and resource_type = 'Consultation' and action = 'list' order by seq desc limit 1`,
    );
    expect(events[0].n).toBe(60);
  });

  it('refuses to delete a patient who still has consultations (HAS_CHILDREN), and deletes a consultation', async () => {
    expect(await errorCode('director', `mutation ($id: ID!) { deletePatient(id: $id) }`, { id: ids.mario })).toBe('HAS_CHILDREN');
    const gone = await data('director', `mutation ($id: ID!) { deleteConsultation(id: $id) }`, { id: ids.skin });
    expect(gone.deleteConsultation).toBe(true);
    expect(await errorCode('director', `query ($id: ID!) { consultation(id: $id) { id } }`, { id: ids.skin })).toBe('NOT_FOUND');
  });

  it('counts generated lists and nested lists in the query limits', async () => {
    const expensive = await ask('director', `{ patients(first: 100) { nodes { id consultations(first: 100) { nodes { id summary } } } } }`);
    expect(expensive.status).toBe(400);
    expect(expensive.body.errors![0].message).toMatch(/too expensive/);
    const deep = await ask('director', `{ consultations(first: 1) { nodes { patient { consultations(first: 1) { nodes { patient { consultations(first: 1) { nodes { id } } } } } } } } }`);
    expect(deep.status).toBe(400);
    expect(deep.body.errors![0].message).toMatch(/nested too deeply/);
  });

  it('serves no customer, booking or document door for a model without them', async () => {
    const sdl = printSchema(t.app.graphql.schema);
    const query = t.app.graphql.schema.getQueryType()!.getFields();
    expect(Object.keys(query)).toEqual(['accessRequests', 'patient', 'patients', 'consultation', 'consultations', 'medicalDocument', 'medicalDocuments']);
    for (const name of ['Customer', 'Booking', 'Document', 'CustomerConnection']) expect(t.app.graphql.schema.getType(name)).toBeUndefined();
    expect(sdl).not.toMatch(/\bcustomers?\b/i);
    expect(await errorCode('director', `{ customer(id: "1") { id } }`)).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
