import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyModel, planModel } from '../../src/model/apply-model.js';
import { compilePolicy } from '../../src/policy/load-policy.js';
import { openModelDatabase } from '../helpers/model-database.js';

// Every read and list filters on the fields the rules test (`when`) in SQL: the plan
// indexes each of them on managed tables, as it indexes refs.

let t: Awaited<ReturnType<typeof openModelDatabase>>;
beforeAll(async () => {
  t = await openModelDatabase();
});
afterAll(async () => t?.close());

const resources = {
  Patient: {
    plural: 'patients',
    table: 'ward.patients',
    fields: {
      id: { type: 'id' },
      fullName: { type: 'string', class: 'identity' },
      privacyLevel: { type: 'enum', values: ['standard', 'confidential'], default: 'standard' },
      assignees: { type: 'string[]' },
    },
  },
  Visit: {
    plural: 'visits',
    table: 'ward.visits',
    parent: { resource: 'Patient', field: 'patientId' },
    fields: {
      id: { type: 'id' },
      patientId: { type: 'ref', resource: 'Patient', required: true },
      ward: { type: 'string' },
      notes: { type: 'text' },
    },
  },
};

const policy = (visitRules: object[]) =>
  compilePolicy(
    {
      resources,
      conditions: { visible: [{ privacyLevel: { ne: 'confidential' } }, { assignees: { contains: '$principal.sub' } }] },
      roles: {
        nurse: {
          can: [{ actions: ['read'], subject: 'Patient', when: 'visible' }, { actions: ['read'], subject: 'Visit', when: { id: { ne: 'x' } } }, ...visitRules],
        },
      },
    },
    'v',
    undefined,
  ).model;

describe('indexes for the fields rules test', () => {
  it('are named per resource by the policy: every field a condition tests', () => {
    const model = policy([{ actions: ['update'], subject: 'Visit', when: { ward: '$principal.ward', patientId: { ne: 'x' } } }]);
    expect(Object.fromEntries(model.conditionFields!)).toEqual({ Patient: ['assignees', 'privacyLevel'], Visit: ['id', 'patientId', 'ward'] });
  });

  it('are created with the tables (GIN for a list), not for the id or a ref, and then nothing is left to do', async () => {
    const model = policy([{ actions: ['update'], subject: 'Visit', when: { ward: '$principal.ward', patientId: { ne: 'x' } } }]);
    const plan = await planModel(t.db, model);
    const indexes = plan.steps.filter((s) => s.sql.startsWith('CREATE INDEX')).map((s) => s.sql);
    expect(indexes).toEqual([
      'CREATE INDEX patients_privacy_level_idx ON ward.patients (privacy_level)',
      'CREATE INDEX patients_assignees_idx ON ward.patients USING gin (assignees)',
      'CREATE INDEX visits_patient_id_idx ON ward.visits (patient_id)',
      'CREATE INDEX visits_ward_idx ON ward.visits (ward)',
    ]);
    await applyModel(t.db, model);
    expect(await planModel(t.db, model)).toEqual({ steps: [], drift: [], problems: [] });
  });

  it('are added to existing tables when a new rule tests another field, never dropped when none does', async () => {
    const more = policy([{ actions: ['update'], subject: 'Visit', when: { ward: '$principal.ward', notes: { ne: '' } } }]);
    expect((await planModel(t.db, more)).steps).toEqual([{ resource: 'Visit', summary: 'index notes (rules test it)', sql: 'CREATE INDEX visits_notes_idx ON ward.visits (notes)' }]);
    await applyModel(t.db, more);
    const fewer = policy([]);
    expect(await planModel(t.db, fewer)).toEqual({ steps: [], drift: [], problems: [] });
  });
});
