import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors.js';
import { generatedResources } from '../../src/model/own-doors.js';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { loadPolicyFile } from '../../src/policy/load-policy.js';
import { loadOpenApiDocument } from '../../src/rest/docs.plugin.js';
import { buildOpenApiDocument, generatedOperationCodes } from '../../src/rest/openapi-model.js';

const KEY = 'openapi-model-test-key';
const modelOf = (file: string) => loadPolicyFile(file, KEY).model;
const clinic = modelOf(projectFile('policies/examples/clinic.yaml'));
const crm = modelOf(projectFile('policies/examples/crm-adopt.yaml'));

type Doc = Record<string, any>;
const resolve = (doc: Doc, node: Doc): Doc => (typeof node.$ref === 'string' ? node.$ref.split('/').slice(1).reduce((o: Doc, k: string) => o[k], doc) : node);

/** The problem codes a response documents, the way openapi.yaml lists them: `code` as a const or an enum in the problem schema. */
function documentedCodes(doc: Doc, responses: Doc): string[] {
  return Object.values(responses).flatMap((r) => {
    const schema = resolve(doc, r as Doc).content?.['application/problem+json']?.schema as Doc | undefined;
    const parts: Doc[] = schema?.allOf ?? (schema ? [schema] : []);
    return parts.flatMap((part) => {
      const code = part.properties?.code as Doc | undefined;
      return code ? (code.enum ?? [code.const]) : [];
    });
  });
}

/** The generic core's answers, per the issue: every one documented on the operations that can give it. */
const CORE_CODES = ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MASKED_VALUE', 'FIELD_NOT_WRITABLE', 'FIELD_NOT_QUERYABLE', 'INVALID_CURSOR', 'NOT_FOUND', 'FORBIDDEN', 'HAS_CHILDREN', 'BUDGET_EXCEEDED'];

describe('the OpenAPI document of a model', () => {
  it('is openapi.yaml itself for the default policy, which generates nothing', () => {
    const base = loadOpenApiDocument();
    expect(generatedResources(modelOf(DEFAULT_POLICY_FILE))).toEqual([]);
    expect(buildOpenApiDocument(modelOf(DEFAULT_POLICY_FILE), base)).toEqual(base);
  });

  it('leaves its base untouched', () => {
    const base = loadOpenApiDocument();
    buildOpenApiDocument(clinic, base);
    expect(base).toEqual(loadOpenApiDocument());
  });

  for (const [name, model] of [
    ['clinic', clinic],
    ['crm-adopt', crm],
  ] as const) {
    it(`documents on every generated operation of ${name} the error codes the generic core can answer there`, () => {
      const doc = buildOpenApiDocument(model, loadOpenApiDocument());
      const problemCodes = doc.components.schemas!.ProblemCode as { enum: string[] };
      const seen = new Set<string>();
      for (const r of generatedResources(model)) {
        const expected = generatedOperationCodes(r, model);
        const ops: Record<string, Doc> = {
          list: doc.paths[`/v1/${r.plural}`]!.get as Doc,
          create: doc.paths[`/v1/${r.plural}`]!.post as Doc,
          export: doc.paths[`/v1/${r.plural}/export`]!.get as Doc,
          get: doc.paths[`/v1/${r.plural}/{id}`]!.get as Doc,
          update: doc.paths[`/v1/${r.plural}/{id}`]!.patch as Doc,
          delete: doc.paths[`/v1/${r.plural}/{id}`]!.delete as Doc,
          ...(r.file
            ? {
                download: doc.paths[`/v1/${r.plural}/{id}/${r.file.field.name}`]!.get as Doc,
                upload: doc.paths[`/v1/${r.plural}/{id}/${r.file.field.name}`]!.put as Doc,
              }
            : {}),
        };
        for (const [kind, op] of Object.entries(ops)) {
          const codes = documentedCodes(doc, op.responses);
          // Every operation: the token, the unexpected, the database and the audit trail.
          expect(codes, `${op.operationId}`).toEqual(expect.arrayContaining(['UNAUTHENTICATED', 'INTERNAL', 'AUDIT_UNAVAILABLE', 'UNAVAILABLE', ...expected[kind]!]));
          for (const c of codes) {
            expect(problemCodes.enum, `${op.operationId} documents ${c}`).toContain(c);
            // The HTTP status the response is listed under is the code's status.
            const status = Object.entries(op.responses as Doc).find(([, resp]) => documentedCodes(doc, { resp }).includes(c))![0];
            expect(Number(status), `${op.operationId} ${c}`).toBe(errorCodes[c as keyof typeof errorCodes].status);
            seen.add(c);
          }
        }
        const children = [...model.resources.values()].some((c) => c.parent?.resource === r.name);
        expect(documentedCodes(doc, ops.delete!.responses).includes('HAS_CHILDREN')).toBe(children);
      }
      expect([...seen]).toEqual(expect.arrayContaining(CORE_CODES));
    });
  }

  it('lists every code of errors.ts in the base document’s ProblemCode', () => {
    const base = loadOpenApiDocument() as Doc;
    // NOT_ACCEPTABLE is answered by /graphql only, which the REST contract does not describe.
    expect(Object.keys(errorCodes).filter((c) => c !== 'NOT_ACCEPTABLE')).toEqual(expect.arrayContaining(base.components.schemas.ProblemCode.enum));
    expect(base.components.schemas.ProblemCode.enum).toEqual(expect.arrayContaining(Object.keys(errorCodes).filter((c) => c !== 'NOT_ACCEPTABLE')));
  });

  it('names the operations after the resource, uniquely', () => {
    const doc = buildOpenApiDocument(clinic, loadOpenApiDocument());
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => (op as Doc).operationId).filter(Boolean));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['listPatients', 'getPatient', 'createPatient', 'updatePatient', 'deletePatient', 'exportPatients', 'listMedicalDocuments']));
  });

  it('types each field from the model: formats, enums, nullability, masks and what a caller may write', () => {
    const schemas = buildOpenApiDocument(clinic, loadOpenApiDocument()).components.schemas as Doc;
    const patient = schemas.Patient.properties;
    expect(schemas.Patient.required).toEqual(['_access']);
    expect(patient.createdAt).toMatchObject({ type: 'string', format: 'date-time', readOnly: true });
    expect(patient.privacyLevel).toMatchObject({ type: 'string', enum: ['standard', 'confidential'] });
    expect(patient.specialty.enum).toEqual(['cardiology', 'dermatology', 'general', null]);
    expect(patient.assignees).toMatchObject({ type: 'array', items: { type: 'string' } });
    // A masked birth date is no date: the masked form is allowed too, and the field says where it is named.
    expect(patient.birthDate.anyOf[0]).toMatchObject({ format: 'date' });
    expect(patient.birthDate.description).toContain('_access.masked');
    expect(patient.fullName.description).toMatch(/class `identity`.*`initials`/);
    expect(schemas.CreatePatientInput.required).toEqual(['fullName']);
    expect(Object.keys(schemas.CreatePatientInput.properties)).toEqual(['fullName', 'phone', 'birthDate', 'specialty', 'privacyLevel', 'assignees']);
    expect(schemas.CreatePatientInput.properties.privacyLevel.default).toBe('standard');
    expect(schemas.CreatePatientInput.properties.phone.type).toEqual(['string', 'null']);
    expect(schemas.UpdatePatientInput.required).toBeUndefined();
    expect(schemas.UpdatePatientInput.minProperties).toBe(1);
    expect(schemas.CreateConsultationInput.properties.patientId).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(schemas.PatientPage.properties.items.items).toEqual({ $ref: '#/components/schemas/Patient' });

    const client = buildOpenApiDocument(crm, loadOpenApiDocument()).components.schemas as Doc;
    expect(client.Client.properties.annualRevenue.anyOf[0]).toMatchObject({ type: ['string', 'null'], pattern: expect.any(String) });
    expect(client.CreateClientInput.properties.annualRevenue.type).toEqual(['number', 'string', 'null']);
  });

  it('keeps the non-resource paths and drops the doors, tags and components the model does not have', () => {
    const base = loadOpenApiDocument() as Doc;
    const doc = buildOpenApiDocument(clinic, base);
    const kept = Object.keys(base.paths).filter((p) => !/^\/v1\/(customers|bookings|documents)(\/|$)/.test(p));
    expect(Object.keys(doc.paths).filter((p) => kept.includes(p))).toEqual(kept);
    expect(Object.keys(doc.paths).filter((p) => /customers|bookings|documents\//.test(p))).toEqual([]);
    expect(doc.tags!.map((t) => t.name)).toEqual(['health', 'patients', 'consultations', 'medicalDocuments', 'audit', 'principals', 'access', 'decisions', 'privacy']);
    for (const gone of ['BookingInput', 'Document', 'CustomerPage', 'CreateCustomer']) expect(doc.components.schemas).not.toHaveProperty(gone);
    expect(doc.components.parameters).not.toHaveProperty('CustomerId');
    expect(doc.components.securitySchemes).toEqual(base.components.securitySchemes);
  });
});

describe('Customer served by the generated door', () => {
  it('replaces the hand-written Customer schemas instead of refusing to start, and leaves no unused component', async () => {
    const { readFileSync } = await import('node:fs');
    const { compilePolicyText } = await import('../../src/policy/load-policy.js');
    // The default policy with Customer under another plural: no door of its own then.
    const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8')
      .replace('  Customer:\n    plural: customers\n', '  Customer:\n    plural: people\n    table: customers\n')
      .replaceAll('readBudget: { customers:', 'readBudget: { people:');
    const model = compilePolicyText(text, KEY).model;
    const doc = buildOpenApiDocument(model, loadOpenApiDocument()) as Doc;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/people', '/v1/people/{id}']));
    expect(Object.keys(doc.paths)).not.toContain('/v1/customers');
    expect(doc.components.schemas.Customer.properties).toHaveProperty('fullName');
    const text2 = JSON.stringify({ paths: doc.paths, components: { ...doc.components, schemas: {} } }) + JSON.stringify(doc.components.schemas);
    const unused = Object.keys(doc.components.schemas).filter((name: string) => !text2.includes(`#/components/schemas/${name}"`));
    expect(unused).toEqual([]);
  });
});
