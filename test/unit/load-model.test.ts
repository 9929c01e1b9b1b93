import { describe, expect, it } from 'vitest';
import { compilePolicy, compilePolicyText, loadPolicyFile, PolicyError } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';

/** The example model: a managed pair with a parent, and an adopted CRM table. */
const clinic = () => ({
  resources: {
    Patient: {
      plural: 'patients',
      table: 'clinic_patients',
      fields: {
        id: { type: 'id' },
        fullName: { type: 'string', required: true, class: 'identity', mask: 'initials' },
        birthDate: { type: 'date', class: 'identity', mask: 'redact' },
        privacyLevel: { type: 'enum', values: ['standard', 'confidential'], default: 'standard' },
        assignees: { type: 'string[]' },
        createdAt: { type: 'timestamp', generated: 'created' },
      } as Record<string, unknown>,
    },
    Consultation: {
      plural: 'consultations',
      parent: { resource: 'Patient', field: 'patientId' },
      fields: {
        id: { type: 'id' },
        patientId: { type: 'ref', resource: 'Patient', required: true },
        summary: { type: 'text', class: 'health', mask: 'redact' },
        scan: { type: 'file' },
      } as Record<string, unknown>,
    },
    Client: {
      plural: 'clients',
      table: 'crm.clients',
      adopt: true,
      fields: { id: { type: 'id', column: 'client_id' }, fullName: { type: 'string', column: 'full_name', class: 'identity' } } as Record<string, unknown>,
    },
    AuditEvent: { fields: { eventId: { class: 'system' } } },
  } as Record<string, any>,
  roles: { doctor: { can: [{ actions: ['read'], subject: 'Patient' }] } } as Record<string, any>,
});

const problems = (doc: unknown): string[] => {
  try {
    compilePolicy(doc, 'v', undefined, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  return [];
};

describe('the data model', () => {
  it('reads the default policy as today\'s three tables, AuditEvent and Policy staying policy-only', () => {
    const { model, resources } = loadPolicyFile(DEFAULT_POLICY_FILE, undefined);
    expect([...model.resources.keys()]).toEqual(['Customer', 'Booking', 'Document']);
    expect(resources.has('AuditEvent') && resources.has('Policy')).toBe(true);
    const customer = model.resources.get('Customer')!;
    expect(customer.table).toEqual({ schema: 'public', name: 'customers' });
    expect(customer.fields.map((f) => f.column)).toEqual([
      'id', 'full_name', 'email', 'phone', 'address', 'iban', 'tax_id', 'notes', 'privacy_level', 'assignees', 'marketing_opt_out', 'created_at', 'updated_at',
    ]);
    expect(customer.fields.filter((f) => f.nullable).map((f) => f.name)).toEqual(['email', 'phone', 'address', 'iban', 'taxId', 'notes']);
    const document = model.resources.get('Document')!;
    expect(document.parent).toEqual({ resource: 'Customer', field: 'customerId' });
    expect(document.file).toMatchObject({ field: { name: 'content', column: null }, chunks: { table: { name: 'document_chunks' }, owner: 'document_id' } });
  });

  it('compiles the issue\'s example: tables, columns, adopted table, class defaults to system', () => {
    const { model } = compilePolicy(clinic(), 'v', undefined);
    const patient = model.resources.get('Patient')!;
    expect(patient.table).toEqual({ schema: 'public', name: 'clinic_patients' });
    expect(patient.fields.find((f) => f.name === 'privacyLevel')).toMatchObject({ type: 'enum', values: ['standard', 'confidential'], default: 'standard', nullable: false, class: 'system' });
    expect(model.resources.get('Consultation')!.table.name).toBe('consultations');
    expect(model.resources.get('Client')).toMatchObject({ adopt: true, table: { schema: 'crm', name: 'clients' }, id: { column: 'client_id' } });
    expect(model.resources.has('AuditEvent')).toBe(false);
  });

  it('reports each model problem at its path', () => {
    const doc = clinic();
    const p = doc.resources.Patient.fields;
    p.level = { type: 'enum' };
    p.count = { type: 'integer', default: 'many' };
    p.specialty = { type: 'enum', values: ['a', 'b'], default: 'c' };
    p.seenOn = { type: 'date', default: '2025-02-30' };
    p.doctorId = { type: 'ref', resource: 'Doctor' };
    p.auditId = { type: 'ref', resource: 'AuditEvent' };
    p.note = { class: 'free_text' };
    doc.resources.Consultation.parent = { resource: 'Patient', field: 'summary' };
    doc.resources.Client.fields.photo = { type: 'file' };
    doc.resources.Client.fields.tier = { type: 'string', default: 'gold' };
    doc.resources.Invoice = { plural: 'invoices', fields: { total: { type: 'decimal' } } };
    doc.resources.Visit = { table: 'visits', fields: { at: { type: 'timestamp' } } };
    const found = problems(doc);
    expect(found).toHaveLength(14);
    expect(found).toEqual(
      expect.arrayContaining([
        'p.yaml resources.Patient.fields.level.type: an enum needs its values: values: [a, b]',
        'p.yaml resources.Patient.fields.count.default: "many" is not an integer',
        'p.yaml resources.Patient.fields.specialty.default: "c" is not one of the values',
        'p.yaml resources.Patient.fields.seenOn.default: "2025-02-30" is not a date',
        'p.yaml resources.Patient.fields.doctorId.resource: unknown resource "Doctor"',
        'p.yaml resources.Patient.fields.auditId.resource: "AuditEvent" is not stored (it has no plural)',
        'p.yaml resources.Patient.fields.note.type: required: a resource with a plural is stored, so each of its fields needs a type',
        'p.yaml resources.Consultation.parent.field: "summary" is not a ref to Patient',
        'p.yaml resources.Client.fields.photo.type: an adopted table cannot hold a file: fieldguard would have to create the chunk table beside it',
        'p.yaml resources.Client.fields.tier.default: an adopted table keeps its own defaults: remove default',
        'p.yaml resources.Invoice.fields: a stored resource needs one field of type id (its primary key)',
        'p.yaml resources.Visit.table: table describes a stored resource: give the resource a plural',
        "p.yaml resources.Visit.fields.at.class: required: the field's data class (identity, contact, system, ...)",
        'p.yaml resources.Visit.fields.at.type: type describes a stored field: give the resource a plural to store it',
      ]),
    );
  });

  it('refuses duplicate plurals and tables, parent cycles and parents that are not required refs', () => {
    const doc = clinic();
    doc.resources.Patient.fields.consultationId = { type: 'ref', resource: 'Consultation', required: true };
    doc.resources.Patient.parent = { resource: 'Consultation', field: 'consultationId' };
    doc.resources.Visit = { plural: 'patients', table: 'clinic_patients', fields: { id: { type: 'id' }, patientId: { type: 'ref', resource: 'Patient' } }, parent: { resource: 'Patient', field: 'patientId' } };
    doc.resources.Log = { plural: 'logs', table: 'audit_events', fields: { id: { type: 'id' } } };
    doc.resources.Trail = { plural: 'audit', fields: { id: { type: 'id' } } };
    doc.resources.PageInfo = { plural: 'pageInfos', fields: { id: { type: 'id' }, access: { type: 'string' } } };
    doc.resources.Patient.fields.consultations = { type: 'string' };
    const found = problems(doc);
    expect(found).toEqual(
      expect.arrayContaining([
        'p.yaml resources.Patient.parent: parent cycle Patient -> Consultation -> Patient',
        'p.yaml resources.Consultation.parent: parent cycle Consultation -> Patient -> Consultation',
        'p.yaml resources.Visit.plural: "patients" is already the plural of Patient',
        'p.yaml resources.Visit.table: public.clinic_patients is already the table of Patient',
        'p.yaml resources.Visit.fields.patientId.required: a parent field must be required: true',
        "p.yaml resources.Log.table: public.audit_events is one of fieldguard's own tables",
        'p.yaml resources.Trail.plural: "audit" names routes of fieldguard\'s own (/v1/audit): choose another plural',
        'p.yaml resources.PageInfo: "PageInfo" is a name the GraphQL API uses for its own types: choose another',
        'p.yaml resources.PageInfo.fields.access: "access" is the GraphQL field naming the masked and withheld fields: choose another name',
        'p.yaml resources.Consultation.plural: "consultations" is also a field of Patient, where GraphQL lists its consultations: choose another plural or field name',
      ]),
    );
  });

  it('keeps storage: none resources out of the stored model: typed fields, an id, no table', () => {
    const doc = clinic();
    doc.resources.Lead = {
      plural: 'leads',
      storage: 'none',
      fields: { id: { type: 'id' }, fullName: { type: 'string', class: 'identity', mask: 'initials' }, patientId: { type: 'ref', resource: 'Patient' } },
    };
    doc.roles.doctor.readBudget = { leads: 5, window: '1h', onExceed: 'block' };
    const { model, resources, readBudgets } = compilePolicy(doc, 'v', undefined);
    expect(model.resources.has('Lead')).toBe(false);
    expect(model.callerKept?.get('Lead')).toMatchObject({ plural: 'leads', id: { name: 'id' }, fields: [{ name: 'id' }, { name: 'fullName', type: 'string' }, { name: 'patientId', ref: 'Patient' }] });
    expect(resources.get('Lead')?.masks.has('fullName')).toBe(true);
    expect(readBudgets.has('Lead')).toBe(false); // the doctor does not read leads: nothing to limit

    const bad = clinic();
    bad.resources.Lead = {
      plural: 'patients',
      storage: 'none',
      table: 'leads',
      parent: { resource: 'Patient', field: 'patientId' },
      fields: { name: { type: 'string', column: 'nm', required: true }, scan: { type: 'file' } },
    };
    bad.resources.Prospect = { plural: 'patients', storage: 'none', fields: { id: { type: 'id' } } };
    bad.resources.Patient.fields.leadId = { type: 'ref', resource: 'Lead' };
    bad.resources.AuditEvent.storage = 'none';
    expect(problems(bad)).toEqual(
      expect.arrayContaining([
        'p.yaml resources.Lead.table: table describes a table: a storage: none resource has none',
        'p.yaml resources.Lead.parent: parent describes a table: a storage: none resource has none',
        'p.yaml resources.Lead.fields.name.column: column describes a column: a storage: none resource has no table',
        'p.yaml resources.Lead.fields.name.required: required describes a column: a storage: none resource has no table',
        'p.yaml resources.Lead.fields.scan.type: a file needs storage for its bytes: a storage: none resource has none',
        'p.yaml resources.Lead.fields: a resource with a plural needs one field of type id: records sent are named by it',
        'p.yaml resources.Prospect.plural: "patients" is already the plural of Patient',
        'p.yaml resources.Patient.fields.leadId.resource: "Lead" is kept by the caller (storage: none): a stored record cannot point at it',
        'p.yaml resources.AuditEvent.storage: storage describes a resource of the data model: give the resource a plural',
      ]),
    );
  });

  it('refuses unknown keys, generated ids, and keeps reporting rules on fields the model lacks', () => {
    const doc = clinic();
    doc.resources.Patient.fields.id = { type: 'id', generated: 'created' };
    doc.resources.Patient.fields.fullName.colour = 'red';
    doc.resources.Patient.size = 3;
    expect(problems(doc).join('\n')).toMatch(/resources\.Patient\.fields\.fullName: Unrecognized key: "colour"/);
    expect(problems(doc).join('\n')).toMatch(/resources\.Patient: Unrecognized key: "size"/);
    // Shapes are checked first (as for the rest of the policy): an unknown type is one.
    doc.resources.Patient.fields.fullName.type = 'colour';
    expect(problems(doc)).toContain(
      'p.yaml resources.Patient.fields.fullName.type: unknown type: use one of id, string, text, integer, decimal, boolean, date, timestamp, enum, string[], ref, file',
    );
    doc.resources.Patient.fields.fullName.type = 'string';
    delete doc.resources.Patient.size;
    delete doc.resources.Patient.fields.fullName.colour;
    doc.roles.doctor.can.push({ actions: ['read'], subject: 'Patient', fields: ['dateOfBirth'] });
    expect(problems(doc)).toEqual([
      'p.yaml resources.Patient.fields.id.generated: only a timestamp is generated (created or updated)',
      'p.yaml resources.Patient.fields.id.type: an id is generated by the database: it takes no default, required or generated',
      'p.yaml roles.doctor.can[1].fields[0]: unknown field "dateOfBirth" of Patient',
    ]);
  });

  it('points model problems at their line in the file', () => {
    const yaml = ['resources:', '  Patient:', '    plural: patients', '    fields:', '      id: { type: id }', '      level: { type: enum }', 'roles: {}', ''].join('\n');
    expect(() => compilePolicyText(yaml, undefined, 'clinic.yaml')).toThrow(/clinic\.yaml:6 resources\.Patient\.fields\.level\.type: an enum needs its values/);
  });
});
