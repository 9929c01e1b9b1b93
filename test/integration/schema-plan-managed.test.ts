import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/data/migrate.js';
import { applyModel, planModel } from '../../src/model/apply-model.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { loadPolicyFile } from '../../src/policy/load-policy.js';
import { modelOf, openModelDatabase, tableDefinition } from '../helpers/model-database.js';

let t: Awaited<ReturnType<typeof openModelDatabase>>;
beforeAll(async () => {
  t = await openModelDatabase();
  await migrateToLatest(t.db);
});
afterAll(async () => t?.close());

const withoutUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A clinic: patients in their own schema with a file, consultations under them by specialty. */
const clinic = (patientFields: Record<string, unknown> = {}, specialties = ['cardiology', 'general']) => ({
  Patient: {
    plural: 'patients',
    table: 'clinic.patients',
    fields: withoutUndefined({
      id: { type: 'id' },
      fullName: { type: 'string', required: true, class: 'identity' },
      birthDate: { type: 'date' },
      weightKg: { type: 'decimal' },
      visits: { type: 'integer', default: 0 },
      privacyLevel: { type: 'enum', values: ['standard', 'confidential'], default: 'standard' },
      assignees: { type: 'string[]' },
      consented: { type: 'boolean', default: false },
      scan: { type: 'file' },
      createdAt: { type: 'timestamp', generated: 'created' },
      updatedAt: { type: 'timestamp', generated: 'updated' },
      ...patientFields,
    }),
  },
  Consultation: {
    plural: 'consultations',
    table: 'clinic.consultations',
    parent: { resource: 'Patient', field: 'patientId' },
    fields: {
      id: { type: 'id' },
      patientId: { type: 'ref', resource: 'Patient', required: true },
      specialty: { type: 'enum', values: specialties, required: true },
      summary: { type: 'text', class: 'health' },
      seenAt: { type: 'timestamp', required: true },
    },
  },
});

describe('the schema plan of managed tables', () => {
  it('plans nothing for the default policy on a database the migrations built', async () => {
    const plan = await planModel(t.db, loadPolicyFile(DEFAULT_POLICY_FILE, undefined).model);
    expect(plan).toEqual({ steps: [], drift: [], problems: [] });
  });

  it('creates a model\'s tables on an empty schema, and then has nothing left to do', async () => {
    const model = modelOf(clinic());
    const plan = await planModel(t.db, model);
    expect(plan.drift).toEqual([]);
    expect(plan.steps.map((s) => s.summary)).toEqual([
      'create schema clinic',
      'let the service role use schema clinic',
      'create table clinic.patients',
      'let the service role use clinic.patients',
      'create table clinic.patient_chunks for the bytes of scan',
      'store clinic.patient_chunks bytes uncompressed',
      'let the service role use clinic.patient_chunks',
      'create table clinic.consultations',
      'index patientId (a ref)',
      'let the service role use clinic.consultations',
    ]);
    expect(plan.steps[7]!.sql).toContain('patient_id uuid NOT NULL REFERENCES clinic.patients (id) ON DELETE CASCADE');
    expect((await applyModel(t.db, model)).steps).toHaveLength(10);
    expect(await planModel(t.db, model)).toEqual({ steps: [], drift: [], problems: [] });
    // The tables work as declared: defaults, generated timestamps, the enum CHECK, the cascade.
    const [patient] = (await t.database.query(`insert into clinic.patients (full_name) values ('Ada') returning *`)).rows;
    expect(patient).toMatchObject({ visits: '0', privacy_level: 'standard', assignees: [], consented: false, birth_date: null });
    expect(patient.created_at).toBeInstanceOf(Date);
    await expect(t.database.query(`insert into clinic.consultations (patient_id, specialty, seen_at) values ($1, 'surgery', now())`, [patient.id])).rejects.toThrow(/check constraint/);
    await t.database.query(`insert into clinic.consultations (patient_id, specialty, seen_at) values ($1, 'general', now())`, [patient.id]);
    await t.database.query(`insert into clinic.patient_chunks (patient_id, seq, bytes) values ($1, 0, '\\x00')`, [patient.id]);
    await t.database.query(`delete from clinic.patients`);
    expect((await t.database.query(`select count(*)::int as n from clinic.consultations`)).rows[0].n).toBe(0);
  });

  it('adds a new field as a column, and a required one as nullable with NOT NULL left to a person', async () => {
    await t.database.query(`insert into clinic.patients (full_name) values ('Grace')`);
    const model = modelOf(clinic({ phone: { type: 'string', class: 'contact' }, insurer: { type: 'string', required: true } }));
    const plan = await planModel(t.db, model);
    expect(plan.steps.map((s) => s.sql)).toEqual(['ALTER TABLE clinic.patients ADD COLUMN phone text', 'ALTER TABLE clinic.patients ADD COLUMN insurer text']);
    expect(plan.drift).toEqual([{ resource: 'Patient', summary: 'insurer is required: fill it in on existing rows, then', sql: 'ALTER TABLE clinic.patients ALTER COLUMN insurer SET NOT NULL' }]);
    await applyModel(t.db, model);
    expect((await planModel(t.db, model)).steps).toEqual([]);
  });

  it('widens an enum CHECK when values are added, and leaves the existing rows valid', async () => {
    const model = modelOf(clinic({}, ['cardiology', 'general', 'dermatology']));
    const plan = await planModel(t.db, model);
    expect(plan.steps.map((s) => s.sql)).toEqual([
      "ALTER TABLE clinic.consultations DROP CONSTRAINT consultations_specialty_check, ADD CONSTRAINT consultations_specialty_check CHECK (specialty IN ('cardiology', 'general', 'dermatology'))",
    ]);
    await applyModel(t.db, model);
    const [patient] = (await t.database.query(`insert into clinic.patients (full_name, insurer) values ('Alan', 'x') returning id`)).rows;
    await t.database.query(`insert into clinic.consultations (patient_id, specialty, seen_at) values ($1, 'dermatology', now())`, [patient.id]);
    expect((await planModel(t.db, model)).steps).toEqual([]);
  });

  it('reports removed fields and enum values as drift with SQL, and changes nothing', async () => {
    const model = modelOf(clinic({ phone: undefined, insurer: { type: 'string', required: true } }, ['cardiology', 'dermatology']));
    const before = [await tableDefinition(t.database, 'clinic.patients'), await tableDefinition(t.database, 'clinic.consultations')];
    const plan = await planModel(t.db, model);
    expect(plan.steps).toEqual([]);
    expect(plan.drift).toEqual(
      expect.arrayContaining([
        { resource: 'Patient', summary: 'column phone is not in the model', sql: 'ALTER TABLE clinic.patients DROP COLUMN phone' },
        {
          resource: 'Consultation',
          summary: "specialty: general no longer among the model's values (rows may still hold them)",
          sql: "ALTER TABLE clinic.consultations DROP CONSTRAINT consultations_specialty_check, ADD CONSTRAINT consultations_specialty_check CHECK (specialty IN ('cardiology', 'dermatology'))",
        },
      ]),
    );
    await applyModel(t.db, model);
    expect([await tableDefinition(t.database, 'clinic.patients'), await tableDefinition(t.database, 'clinic.consultations')]).toEqual(before);
  });

  it('reports a changed type as drift and never converts the column itself', async () => {
    const model = modelOf(clinic({ visits: { type: 'string' }, phone: { type: 'string' } }));
    const plan = await planModel(t.db, model);
    expect(plan.drift).toContainEqual({ resource: 'Patient', summary: 'visits is bigint, the model says string (text)', sql: 'ALTER TABLE clinic.patients ALTER COLUMN visits TYPE text USING visits::text' });
    expect(plan.steps.map((s) => s.summary)).not.toContain('default visits');
  });

  it('reads back every kind of default PostgreSQL prints, and names that need quoting', async () => {
    const model = modelOf({
      Odd: {
        plural: 'odds',
        table: 'order',
        fields: {
          id: { type: 'id' },
          user: { type: 'string', default: "it's" },
          tags: { type: 'string[]', default: ['a b', 'say "hi"', "o'clock", 'back\\slash'] },
          balance: { type: 'decimal', default: -1.5 },
          count: { type: 'integer', default: -5 },
          since: { type: 'date', default: '2020-01-31' },
          kind: { type: 'enum', values: ["it's", 'plain'], default: "it's" },
        },
      },
    });
    const plan = await planModel(t.db, model);
    expect(plan.steps[0]!.sql).toMatch(/^CREATE TABLE "order" \(\n {2}id uuid PRIMARY KEY DEFAULT gen_random_uuid\(\),\n {2}"user" text NOT NULL DEFAULT 'it''s',/);
    await applyModel(t.db, model);
    expect(await planModel(t.db, model)).toEqual({ steps: [], drift: [], problems: [] });
    const [row] = (await t.database.query(`insert into "order" default values returning *`)).rows;
    expect(row).toMatchObject({ user: "it's", tags: ['a b', 'say "hi"', "o'clock", 'back\\slash'], balance: '-1.5', count: '-5', kind: "it's" });
  });

  it('creates tables that refer to each other, adding the foreign key that closes the cycle last', async () => {
    const model = modelOf({
      Team: { plural: 'teams', fields: { id: { type: 'id' }, leadId: { type: 'ref', resource: 'Member' } } },
      Member: { plural: 'members', fields: { id: { type: 'id' }, teamId: { type: 'ref', resource: 'Team' } } },
    });
    const plan = await planModel(t.db, model);
    expect(plan.steps.at(-1)!.sql).toBe('ALTER TABLE members ADD CONSTRAINT members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id)');
    await applyModel(t.db, model);
    expect(await planModel(t.db, model)).toEqual({ steps: [], drift: [], problems: [] });
  });
});
