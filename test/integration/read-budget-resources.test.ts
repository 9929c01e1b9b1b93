import { Migrator } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { anomalyRecordedSince, countAndRecordReads, nthOldestLastRead } from '../../src/audit/read-history.repository.js';
import { openDatabase, type Db } from '../../src/data/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// Read budgets count each resource on its own. No second stored resource has doors yet,
// so this is proven where the counting happens: the SQL function and the queries beside
// it, against the real database, with the migration that added the resource type.

const BEFORE = '2026-12-03T1600_cursor-key';
let database: TestDatabase;
let db: Db;
const migrator = () => new Migrator({ db, provider: { getMigrations: async () => migrations } });
const hourAgo = () => new Date(Date.now() - 3_600_000);
const read = (actorSub: string, resourceType: string, adding: string[], budget: number, recordOver = false) =>
  countAndRecordReads(db, { actorSub, resourceType, adding, since: hourAgo(), at: new Date(), budget, recordOver });

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ url: database.url, poolMax: 1, log: pino({ level: 'silent' }), preparedStatements: false });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('read budgets per resource', () => {
  it('keeps the customer reads recorded before the migration, as Customer reads', async () => {
    expect((await migrator().migrateTo(BEFORE)).error).toBeUndefined();
    await database.query(`insert into customer_reads (actor_sub, customer_id, last_read_at) values ('ann', 'c-1', now()), ('ann', 'c-2', now())`);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    const { rows } = await database.query(`select resource_type, customer_id from customer_reads where actor_sub = 'ann' order by customer_id`);
    expect(rows).toEqual([
      { resource_type: 'Customer', customer_id: 'c-1' },
      { resource_type: 'Customer', customer_id: 'c-2' },
    ]);
    // They still count against the customer budget: c-2 again and c-3 make three.
    expect(await read('ann', 'Customer', ['c-2', 'c-3'], 10)).toBe(3);
  });

  it('counts and records each resource type on its own', async () => {
    expect(await read('bea', 'Customer', ['a', 'b', 'c'], 3)).toBe(3);
    // The same person's patients start from zero, even with the same ids.
    expect(await read('bea', 'Patient', ['a', 'b'], 2)).toBe(2);
    expect(await read('bea', 'Patient', ['a', 'b'], 2)).toBe(2);
    // Over the patients budget: counted, not recorded; the customers are untouched.
    expect(await read('bea', 'Patient', ['x'], 2)).toBe(3);
    expect(await read('bea', 'Customer', ['a', 'b', 'c'], 3)).toBe(3);
    expect(await read('bea', 'Customer', ['d'], 3)).toBe(4);
    const { rows } = await database.query(`select resource_type, count(*)::int as n from customer_reads where actor_sub = 'bea' group by 1 order by 1`);
    expect(rows).toEqual([
      { resource_type: 'Customer', n: 3 },
      { resource_type: 'Patient', n: 2 },
    ]);
    // An alerting budget records over it too, still only under its own resource type.
    expect(await read('bea', 'Patient', ['x', 'y'], 2, true)).toBe(4);
    expect(await read('bea', 'Customer', [], 3)).toBe(3);
  });

  it('finds when a read leaves the window, and a recorded anomaly, per resource type', async () => {
    const since = hourAgo();
    await database.query(
      `insert into customer_reads (actor_sub, resource_type, customer_id, last_read_at) values
        ('cal', 'Customer', 'c-old', now() - interval '50 minutes'), ('cal', 'Patient', 'p-old', now() - interval '40 minutes'),
        ('cal', 'Patient', 'p-new', now() - interval '10 minutes')`,
    );
    const oldestCustomer = await nthOldestLastRead(db, 'cal', 'Customer', since, [], 1);
    const oldestPatient = await nthOldestLastRead(db, 'cal', 'Patient', since, [], 1);
    expect(Date.now() - oldestCustomer!.getTime()).toBeGreaterThan(49 * 60_000);
    expect(Date.now() - oldestPatient!.getTime()).toBeGreaterThan(39 * 60_000);
    expect(Date.now() - oldestPatient!.getTime()).toBeLessThan(41 * 60_000);
    expect(await nthOldestLastRead(db, 'cal', 'Customer', since, [], 2)).toBeNull();
    expect(await nthOldestLastRead(db, 'cal', 'Patient', since, ['p-old'], 1)).not.toBeNull();
    expect(await nthOldestLastRead(db, 'cal', 'Patient', since, ['p-old', 'p-new'], 1)).toBeNull();

    // A bulk-access anomaly over patients does not stop one over customers being recorded.
    await database.query(
      `insert into audit_events (seq, event_id, occurred_at, actor_sub, channel, action, resource_type, outcome, policy_version, prev_hash, hash)
       values (1, gen_random_uuid(), now(), 'cal', 'rest', 'anomaly.bulk_access', 'Patient', 'denied', 'v', 'p0', 'h1')`,
    );
    expect(await anomalyRecordedSince(db, 'cal', 'Patient', since)).toBe(true);
    expect(await anomalyRecordedSince(db, 'cal', 'Customer', since)).toBe(false);
  });

  it('migrates back down to customer reads only', async () => {
    expect((await migrator().migrateTo(BEFORE)).error).toBeUndefined();
    const { rows } = await database.query(`select count(*)::int as n from customer_reads where actor_sub = 'bea'`);
    expect(rows[0].n).toBe(3);
    const old = await database.query(`select fieldguard_count_and_record_reads('bea', array['e'], now() - interval '1 hour', now(), 10, false) as n`);
    expect(old.rows[0].n).toBe(4);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
  });
});
