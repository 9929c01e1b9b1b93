import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/data/migrate.js';
import { applyModel, ModelError, planModel } from '../../src/model/apply-model.js';
import { modelOf, openModelDatabase, tableDefinition } from '../helpers/model-database.js';

let t: Awaited<ReturnType<typeof openModelDatabase>>;
beforeAll(async () => {
  t = await openModelDatabase();
  await migrateToLatest(t.db);
  // A CRM's own table, as it stands before fieldguard is put in front of it.
  await t.database.query(`create schema crm`);
  await t.database.query(`
    create table crm.clients (
      client_id uuid primary key default gen_random_uuid(),
      full_name varchar(200) not null,
      phone_number text,
      tier text not null default 'basic',
      vip boolean,
      signed_up timestamp without time zone default now()
    )`);
  await t.database.query(`insert into crm.clients (full_name, phone_number) values ('Ada Lovelace', '+44 20 7946 0000')`);
  await t.database.query(`create table crm.no_key (id uuid default gen_random_uuid(), name text)`);
});
afterAll(async () => t?.close());

const client = (fields: Record<string, unknown> = {}, table = 'crm.clients') => ({
  plural: 'clients',
  table,
  adopt: true,
  fields: {
    id: { type: 'id', column: 'client_id' },
    fullName: { type: 'string', column: 'full_name', class: 'identity' },
    phone: { type: 'string', column: 'phone_number', class: 'contact', mask: 'digits' },
    signedUp: { type: 'timestamp', column: 'signed_up' },
    ...fields,
  },
});

/** A managed resource under the adopted one: its ref must not put a foreign key on the CRM's table. */
const visit = {
  plural: 'visits',
  table: 'crm_visits',
  parent: { resource: 'Client', field: 'clientId' },
  fields: { id: { type: 'id' }, clientId: { type: 'ref', resource: 'Client', required: true }, at: { type: 'timestamp', required: true } },
};

describe('adopted tables', () => {
  it('are checked and never altered, even when a managed table refers to them', async () => {
    const before = await tableDefinition(t.database, 'crm.clients');
    const model = modelOf({ Client: client({ vip: { type: 'boolean' } }), Visit: visit });
    const plan = await planModel(t.db, model);
    expect(plan.problems).toEqual([]);
    expect(plan.drift).toEqual([]);
    expect(plan.steps.every((s) => s.resource === 'Visit')).toBe(true);
    expect(plan.steps[0]!.sql).toContain('client_id uuid NOT NULL,');
    expect(plan.steps[0]!.sql).not.toContain('REFERENCES');
    await applyModel(t.db, model);
    expect(await planModel(t.db, model)).toEqual({ steps: [], drift: [], problems: [] });
    expect(await tableDefinition(t.database, 'crm.clients')).toEqual(before);
  });

  it('reports a missing column, an incompatible type, a missing table and a missing key, and then runs nothing', async () => {
    const before = await tableDefinition(t.database, 'crm.clients');
    const model = modelOf({
      Client: client({ email: { type: 'string' }, vip: { type: 'integer' }, tier: { type: 'enum', values: ['basic', 'gold'] } }),
      Lead: { ...client({}, 'crm.leads'), plural: 'leads' },
      Note: { plural: 'notes', table: 'crm.no_key', adopt: true, fields: { id: { type: 'id' }, name: { type: 'text' } } },
      Visit: { ...visit, table: 'crm_visits_2' },
    });
    const plan = await planModel(t.db, model);
    expect(plan.problems).toEqual([
      { resource: 'Client', summary: 'crm.clients has no column email (field email)' },
      { resource: 'Client', summary: 'crm.clients.vip is boolean, which cannot hold vip (integer)' },
      { resource: 'Lead', summary: 'table crm.leads does not exist' },
      { resource: 'Note', summary: 'crm.no_key has no primary key' },
    ]);
    const refused = await applyModel(t.db, model).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ModelError);
    expect((refused as Error).message).toContain('Adopted tables do not fit the model:\n  Client: crm.clients has no column email (field email)');
    expect((await t.database.query(`select to_regclass('crm_visits_2') as t`)).rows[0].t).toBeNull();
    expect(await tableDefinition(t.database, 'crm.clients')).toEqual(before);
  });

  it('wants new ids made by the database, and a primary key on the id column', async () => {
    await t.database.query(`create table crm.tags (code text primary key, label text)`);
    await t.database.query(`create table crm.badges (code text primary key, uid uuid unique default gen_random_uuid())`);
    const plan = await planModel(
      t.db,
      modelOf({
        Tag: { plural: 'tags', table: 'crm.tags', adopt: true, fields: { id: { type: 'id', column: 'code' }, label: { type: 'string' } } },
        Badge: { plural: 'badges', table: 'crm.badges', adopt: true, fields: { id: { type: 'id', column: 'uid' } } },
      }),
    );
    expect(plan.problems).toEqual([
      { resource: 'Tag', summary: 'crm.tags.code has no default and is no identity: the database must make new ids' },
      { resource: 'Badge', summary: "crm.badges's primary key is (code), not id's column uid" },
    ]);
  });
});
