import { CompiledQuery, sql, type SqlBool } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/data/database.js';
import { migrateToLatest } from '../../src/data/migrate.js';
import { prepareOnEachConnection } from '../../src/data/prepared-statements.js';
import { findVisibleRecord, listVisibleRecords } from '../../src/data/record.repository.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { loadPolicyFile } from '../../src/policy/load-policy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

let database: TestDatabase;
let plainDatabase: TestDatabase;
let db: Db;
let plain: Db;
const ALL = [() => sql<SqlBool>`true`];
// The read of a customer by id as the service runs it: the generic record read, on the default model's Customer.
const CUSTOMER = loadPolicyFile(DEFAULT_POLICY_FILE, undefined).model.resources.get('Customer')!;
const findVisibleCustomer = (on: Db, id: string, where: typeof ALL) => findVisibleRecord(on, CUSTOMER, id, where);
const named = async (on: Db) => (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(on)).rows.map((r) => r.name);

beforeAll(async () => {
  database = await createTestDatabase();
  // One connection each, so the session asked about is the one that ran the statements.
  db = openDatabase({ url: database.url, poolMax: 1, preparedStatements: true, log: pino({ level: 'silent' }) });
  await migrateToLatest(db);
  // A database of its own: on PGlite every connection to one instance shares its session.
  plainDatabase = await createTestDatabase();
  plain = openDatabase({ url: plainDatabase.url, poolMax: 1, preparedStatements: false, log: pino({ level: 'silent' }) });
  await migrateToLatest(plain);
});
afterAll(async () => {
  await db?.destroy();
  await plain?.destroy();
  await database?.drop();
  await plainDatabase?.drop();
});

describe('prepared statements', () => {
  it('run the read of a customer by id as a named statement, with the same answers', async () => {
    const { id } = await db.insertInto('customers').values({ fullName: 'Prepared Person' }).returning('id').executeTakeFirstOrThrow();
    const first = await findVisibleCustomer(db, id, ALL);
    const second = await findVisibleCustomer(db, id, ALL);
    expect(first?.fullName).toBe('Prepared Person');
    expect(second).toEqual(first);
    expect(await findVisibleCustomer(db, '00000000-0000-0000-0000-000000000000', ALL)).toBeUndefined();
    expect((await named(db)).some((name) => name.startsWith('fg_'))).toBe(true);
  });

  it('run a list page as a named statement, each page with its own position and limit', async () => {
    await db.insertInto('customers').values([{ fullName: 'Page Anna' }, { fullName: 'Page Bruno' }, { fullName: 'Page Carla' }]).execute();
    const byName = { field: CUSTOMER.fields.find((f) => f.name === 'fullName')!, descending: false };
    const before = new Set(await named(db));
    const first = await listVisibleRecords(db, CUSTOMER, { where: ALL, sort: byName, after: null, limit: 2, prepare: true });
    const last = first[first.length - 1]!;
    const second = await listVisibleRecords(db, CUSTOMER, { where: ALL, sort: byName, after: { value: String(last.fullName), id: String(last.id) }, limit: 2, prepare: true });
    const third = await listVisibleRecords(db, CUSTOMER, { where: ALL, sort: byName, after: { value: 'Page Anna', id: String(first[0]!.id) }, limit: 1, prepare: true });
    expect(first.map((c) => c.fullName)).toEqual(['Page Anna', 'Page Bruno']);
    expect(second.map((c) => c.fullName)).toEqual(['Page Carla', 'Prepared Person']);
    expect(third.map((c) => c.fullName)).toEqual(['Page Bruno']);
    // A first page and a later page: two statements, each prepared once, whatever the position.
    expect((await named(db)).filter((name) => !before.has(name))).toHaveLength(2);
  });

  it('leave a list with the caller\'s own filters unnamed', async () => {
    const before = await named(db);
    const where = [...ALL, () => sql<SqlBool>`r.full_name = ${'Page Carla'}`];
    const found = await listVisibleRecords(db, CUSTOMER, { where, sort: { field: CUSTOMER.id, descending: false }, after: null, limit: 5 });
    expect(found.map((c) => c.fullName)).toEqual(['Page Carla']);
    expect(await named(db)).toEqual(before);
  });

  it('fall back to unnamed after a migration changed a prepared statement\'s result columns', async () => {
    await sql`create table probe (id int primary key, label text)`.execute(db);
    await sql`insert into probe values (1, 'one')`.execute(db);
    const text = 'select * from probe where id = $1';
    prepareOnEachConnection(text);
    expect((await db.executeQuery(CompiledQuery.raw(text, [1]))).rows).toEqual([{ id: 1, label: 'one' }]);
    await sql`alter table probe add column extra int`.execute(db);
    // The one statement that finds the old plan fails ("cached plan must not change result type")...
    await expect(db.executeQuery(CompiledQuery.raw(text, [1]))).rejects.toMatchObject({ code: '0A000' });
    // ...and from then on it runs unnamed, with the new columns, even though callers keep
    // marking it (the connection still holds the stale statement under its old name).
    for (let i = 0; i < 3; i++) {
      prepareOnEachConnection(text);
      expect((await db.executeQuery(CompiledQuery.raw(text, [1]))).rows).toEqual([{ id: 1, label: 'one', extra: null }]);
    }
  });

  it('are not used when turned off (PGlite, poolers in transaction mode)', async () => {
    const { id } = await plain.insertInto('customers').values({ fullName: 'Unprepared Person' }).returning('id').executeTakeFirstOrThrow();
    expect((await findVisibleCustomer(plain, id, ALL))?.fullName).toBe('Unprepared Person');
    expect(await named(plain)).toEqual([]);
  });
});
