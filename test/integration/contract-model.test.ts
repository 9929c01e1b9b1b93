import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { documentedRoutes, prefilledParameters, servedRoutes } from '../helpers/openapi-routes.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The clinic example serves a contract of its own: its generated doors in, the customer,
// booking and document doors (which it does not have) out. Checked as the default
// policy's contract is (contract.test.ts), and linted as `npm run lint` lints openapi.yaml.

let t: TestApp;
let doc: Record<string, any>;

beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: projectFile('policies/examples/clinic.yaml'), DEMO_DATA: 'false' });
  const res = await t.http({ url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
}, 120_000);
afterAll(async () => {
  await t?.close();
});

/** Runs the Redocly CLI from node_modules with the repository's redocly.yaml, as `npm run lint:openapi` does. */
function redoclyLint(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      projectFile('node_modules', '.bin', 'redocly'),
      ['lint', '--config', projectFile('redocly.yaml'), file],
      { cwd: projectFile(), env: { ...process.env, REDOCLY_TELEMETRY: 'off' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** A validator for one of the served document's component schemas (OpenAPI 3.1 = JSON Schema 2020-12). */
function servedSchema(name: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(doc, 'served.json');
  const validate = ajv.compile({ $ref: `served.json#/components/schemas/${name}` });
  return (value: unknown) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`));
}

describe('the clinic policy’s contract', () => {
  it('lists exactly the REST routes the server registers', () => {
    const documented = documentedRoutes(doc as { paths: Record<string, Record<string, any>> });
    const served = servedRoutes(t.app);
    expect(served.sort()).toEqual(documented.sort());
    expect(documented).toEqual(expect.arrayContaining(['GET /v1/patients', 'GET /v1/patients/export', 'DELETE /v1/consultations/{id}', 'POST /v1/medicalDocuments']));
  });

  it('has no customer, booking or document doors, nor their tags and schemas', () => {
    expect(Object.keys(doc.paths).filter((p) => /^\/v1\/(customers|bookings|documents)(\/|$)/.test(p))).toEqual([]);
    expect((doc.tags as Array<{ name: string }>).map((t) => t.name)).not.toEqual(expect.arrayContaining(['customers']));
    expect(Object.keys(doc.components.schemas)).not.toContain('Booking');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Patient', 'PatientPage', 'CreatePatientInput', 'UpdatePatientInput']));
  });

  it('gives Swagger UI nothing to send on its own (no header example, no optional parameter example)', () => {
    expect(prefilledParameters(doc as { paths: Record<string, Record<string, any>> })).toEqual([]);
  });

  it('passes redocly lint with the repository’s rules', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-model-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const { code, output } = await redoclyLint(file);
      expect(code, output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes what the generated doors answer: records clear, masked and withheld, and pages', async () => {
    const director = { authorization: `Bearer ${await t.token('dr-rossi', 'director')}` };
    const dpo = { authorization: `Bearer ${await t.token('dpo', 'dpo')}` };
    const reception = { authorization: `Bearer ${await t.token('anna', 'reception')}` };
    const created = await t.http({
      method: 'POST',
      url: '/v1/patients',
      headers: director,
      payload: { fullName: 'Mario Bianchi', phone: '+39 333 123 4567', birthDate: '1970-05-04', specialty: 'cardiology' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const consultation = await t.http({ method: 'POST', url: '/v1/consultations', headers: director, payload: { patientId: id, specialty: 'cardiology', seenAt: '2026-11-02T09:00:00Z' } });
    expect(consultation.statusCode, consultation.body).toBe(201);
    const patient = servedSchema('Patient');
    const page = servedSchema('PatientPage');
    expect(patient(created.json())).toEqual([]);
    for (const headers of [director, dpo, reception]) {
      const one = await t.http({ url: `/v1/patients/${id}`, headers });
      expect(one.statusCode, one.body).toBe(200);
      expect(patient(one.json())).toEqual([]);
      expect(page((await t.http({ url: '/v1/patients', headers })).json())).toEqual([]);
    }
    // The dpo reads the birth date masked: a string that is no date, which the schema allows.
    expect((await t.http({ url: `/v1/patients/${id}`, headers: dpo })).json()._access.masked).toContain('birthDate');
    expect(servedSchema('ConsultationPage')((await t.http({ url: '/v1/consultations', headers: dpo })).json())).toEqual([]);
    // The 409 a patient with consultations answers is documented on its delete.
    const refused = await t.http({ method: 'DELETE', url: `/v1/patients/${id}`, headers: director });
    expect(refused.statusCode).toBe(409);
    expect(Object.keys(doc.paths['/v1/patients/{id}'].delete.responses)).toContain('409');
  });
});
