import { buildSchema, type GraphQLObjectType, type GraphQLInputObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { generatedDoors, generatedSdl } from '../../src/graphql/generated-schema.js';
import { generatedNode } from '../../src/graphql/record.resolvers.js';
import { BUILT_IN_PARTS, loadSchemaSdl, servedSchemaSdl } from '../../src/graphql/schema-sdl.js';
import { compileModel } from '../../src/model/load-model.js';
import type { ResourceSpec } from '../../src/model/model-document.js';
import type { Model } from '../../src/model/model.js';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { loadPolicyFile } from '../../src/policy/load-policy.js';

const clinic = () => loadPolicyFile(projectFile('policies/examples/clinic.yaml'), undefined).model;
const defaultModel = () => loadPolicyFile(DEFAULT_POLICY_FILE, undefined).model;

function modelOf(resources: Record<string, unknown>): Model {
  const problems: string[] = [];
  const model = compileModel(resources as Record<string, ResourceSpec>, (path, message) => problems.push(`${path.join('.')}: ${message}`));
  expect(problems).toEqual([]);
  return model;
}

/** The type of a field as SDL prints it (`[String!]`, `ID!`, ...). */
const typeOf = (type: GraphQLObjectType | GraphQLInputObjectType, field: string) => String(type.getFields()[field]?.type);

describe('the GraphQL generated from the clinic model', () => {
  const schema = buildSchema(servedSchemaSdl(clinic())!);
  const object = (name: string) => schema.getType(name) as GraphQLObjectType;
  const input = (name: string) => schema.getType(name) as GraphQLInputObjectType;

  it('parses, and holds a type, connection and inputs per stored resource', () => {
    for (const name of ['Patient', 'Consultation', 'MedicalDocument']) {
      for (const type of [name, `${name}Connection`, `Create${name}Input`, `Update${name}Input`]) expect(schema.getType(type), type).toBeDefined();
    }
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(['accessRequests', 'patient', 'patients', 'consultation', 'consultations', 'medicalDocument', 'medicalDocuments']);
    expect(Object.keys(schema.getMutationType()!.getFields())).toEqual([
      'requestAccess',
      'approveAccessRequest',
      'denyAccessRequest',
      'revokeAccessRequest',
      ...['Patient', 'Consultation', 'MedicalDocument'].flatMap((n) => [`create${n}`, `update${n}`, `delete${n}`]),
    ]);
    expect(schema.getQueryType()!.getFields().patients!.args.map((a) => `${a.name}: ${String(a.type)}`)).toEqual(['first: Int', 'after: String', 'filter: [FieldFilter!]', 'sort: String']);
  });

  it('types every field nullable, by the model’s field type, with access, refs and children', () => {
    const patient = object('Patient');
    expect(Object.fromEntries(Object.keys(patient.getFields()).map((f) => [f, typeOf(patient, f)]))).toEqual({
      id: 'ID',
      fullName: 'String',
      phone: 'String',
      birthDate: 'String',
      specialty: 'String',
      privacyLevel: 'String',
      assignees: '[String!]',
      remindersConsent: 'Boolean',
      createdAt: 'String',
      updatedAt: 'String',
      access: 'FieldAccess!',
      consultations: 'ConsultationConnection',
      medicalDocuments: 'MedicalDocumentConnection',
    });
    expect(patient.getFields().consultations!.args.map((a) => a.name)).toEqual(['first', 'after']);
    expect(patient.getFields().birthDate!.description).toMatch(/YYYY-MM-DD/);
    expect(patient.getFields().specialty!.description).toMatch(/cardiology, dermatology, general/);
    expect(typeOf(object('Consultation'), 'patient')).toBe('Patient');
    expect(typeOf(object('Consultation'), 'patientId')).toBe('ID');
  });

  it('takes the writable fields as input: required ones non-null on create only, never ids or generated ones', () => {
    expect(Object.keys(input('CreatePatientInput').getFields())).toEqual(['fullName', 'phone', 'birthDate', 'specialty', 'privacyLevel', 'assignees', 'remindersConsent']);
    expect(typeOf(input('CreatePatientInput'), 'fullName')).toBe('String!');
    expect(typeOf(input('UpdatePatientInput'), 'fullName')).toBe('String');
    expect(typeOf(input('CreateConsultationInput'), 'patientId')).toBe('ID!');
    expect(typeOf(input('CreateConsultationInput'), 'summary')).toBe('String');
  });

  it('offers no customer, booking or document door', () => {
    const doors = [BUILT_IN_PARTS.Customer, BUILT_IN_PARTS.Booking, BUILT_IN_PARTS.Document];
    for (const part of doors) for (const type of part.types) expect(schema.getType(type)).toBeUndefined();
    // Asking to see more works on any stored resource, so it stays.
    expect(schema.getType('AccessRequest')).toBeDefined();
    expect(servedSchemaSdl(clinic())).not.toMatch(/customer|booking|\bdocument\b/i);
  });
});

describe('the served schema as a function of the model', () => {
  it('is schema.graphql, unchanged, for the default policy', () => {
    expect(servedSchemaSdl(defaultModel())).toBe(loadSchemaSdl());
  });

  it('keeps the customer door without the booking one when bookings get another plural (then generated)', () => {
    const base = defaultModel();
    const model: Model = { resources: new Map([...base.resources].map(([name, r]) => [name, name === 'Booking' ? { ...r, plural: 'appointments' } : r])) };
    const schema = buildSchema(servedSchemaSdl(model)!);
    const customer = schema.getType('Customer') as GraphQLObjectType;
    expect(Object.keys(customer.getFields())).not.toContain('bookings');
    expect(Object.keys(customer.getFields())).toContain('documentPage');
    const query = Object.keys(schema.getQueryType()!.getFields());
    expect(query).toEqual(expect.arrayContaining(['customer', 'customers', 'document', 'booking', 'appointments']));
    // The generated Booking: its customerId leads to the hand-written Customer.
    expect(typeOf(schema.getType('Booking') as GraphQLObjectType, 'customer')).toBe('Customer');
    expect(schema.getType('CreateBookingInput')).toBeDefined();
  });

  it('maps integers to Float, booleans to Boolean, decimals to String, and names refs without their Id', () => {
    const model = modelOf({
      Owner: { plural: 'owners', fields: { id: { type: 'id' } } },
      Item: {
        plural: 'items',
        fields: {
          id: { type: 'id' },
          count: { type: 'integer', description: 'How many.' },
          price: { type: 'decimal' },
          active: { type: 'boolean' },
          ownerId: { type: 'ref', resource: 'Owner' },
          owner: { type: 'string' },
          backup: { type: 'ref', resource: 'Owner' },
        },
      },
    });
    const schema = buildSchema(servedSchemaSdl(model)!);
    const item = schema.getType('Item') as GraphQLObjectType;
    expect(typeOf(item, 'count')).toBe('Float');
    expect(item.getFields().count!.description).toMatch(/^How many\.\n\nA whole number/);
    expect(typeOf(item, 'price')).toBe('String');
    expect(typeOf(item, 'active')).toBe('Boolean');
    // `owner` is a field already: the ref's record is `ownerIdRecord`; no `Id` suffix: `<field>Record`.
    expect(typeOf(item, 'ownerIdRecord')).toBe('Owner');
    expect(typeOf(item, 'backupRecord')).toBe('Owner');
    // No child resource: no nested list, and no HAS_CHILDREN note.
    expect(Object.keys((schema.getType('Owner') as GraphQLObjectType).getFields())).toEqual(['id', 'access']);
  });

  it('never sees a model whose generated names collide: the policy loader refuses it, naming the collision', () => {
    const problems: string[] = [];
    compileModel({ PageInfo: { plural: 'pageInfos', fields: { id: { type: 'id' } } } } as Record<string, ResourceSpec>, (path, message) => problems.push(`${path.join('.')}: ${message}`));
    expect(problems).toEqual(['resources.PageInfo: "PageInfo" is a name the GraphQL API uses for its own types: choose another']);
  });

  it('has no schema at all for a model without stored resources', () => {
    expect(servedSchemaSdl({ resources: new Map() })).toBeNull();
    expect(generatedSdl(generatedDoors({ resources: new Map() }))).toEqual({ types: '', query: '', mutation: '' });
  });
});

describe('generated nodes', () => {
  const model = modelOf({
    Owner: { plural: 'owners', fields: { id: { type: 'id' } } },
    Item: { plural: 'items', fields: { id: { type: 'id' }, count: { type: 'integer', mask: 'redact' }, ownerId: { type: 'ref', resource: 'Owner', mask: 'redact' } } },
  });
  const item = model.resources.get('Item')!;

  it('follows only refs read in clear, hangs children on an id read in clear, and nulls a masked number', () => {
    const clear = generatedNode(item, { values: { id: 'i1', count: 3, ownerId: 'o1' }, access: { clear: ['id', 'count', 'ownerId'], masked: [], withheld: [] } });
    expect(clear).toMatchObject({ id: 'i1', count: 3, __key: 'i1', __refs: { ownerId: 'o1' }, access: { masked: [], withheld: [] } });
    const masked = generatedNode(item, { values: { count: '[REDACTED]', ownerId: '[REDACTED]' }, access: { clear: [], masked: ['count', 'ownerId'], withheld: ['id'] } });
    expect(masked).toMatchObject({ count: null, ownerId: '[REDACTED]', __refs: {}, access: { masked: ['count', 'ownerId'], withheld: ['id'] } });
    expect(masked.__key).toBeUndefined();
  });
});
