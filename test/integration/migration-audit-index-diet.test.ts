import { Migrator } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { openDatabase, type Db } from '../../src/data/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// Every audit row updates each index on audit_events under the chain lock. The migration
// keeps those a query uses: this pins the set, and checks that the narrowed action index
// still answers the lookups it is kept for (the newest checkpoint, a rare action's feed).

let database: TestDatabase;
let db: Db;
const migrator = () => new Migrator({ db, provider: { getMigrations: async () => migrations } });
const BEFORE = '2026-12-04T0200_legal-holds-and-erasures';

const indexes = async () =>
  Object.fromEntries(
    (await database.query(`select indexname, indexdef from pg_indexes where tablename = 'audit_events' order by indexname`)).rows.map((r) => [r.indexname, r.indexdef as string]),
  );
const plan = async (query: string) => (await database.session([['set enable_seqscan = off'], [`explain (costs off) ${query}`]])).rows.map((r) => r['QUERY PLAN']).join('\n');

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ url: database.url, poolMax: 1, log: pino({ level: 'silent' }), preparedStatements: false });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('the audit index diet migration', () => {
  it('keeps the indexes the feed, reports and breach scope use, drops the hash constraints, narrows the action index; and back down', async () => {
    expect((await migrator().migrateTo(BEFORE)).error).toBeUndefined();
    // A trail with rows in it, so the constraints are rebuilt over real rows on the way down.
    await database.query(`
      insert into audit_events (seq, event_id, occurred_at, actor_sub, channel, action, resource_type, outcome, policy_version, prev_hash, hash)
      select g, gen_random_uuid(), now(), 'agent-' || (g % 3), 'rest', case when g % 50 = 0 then 'checkpoint' else 'read' end, 'Customer', 'allowed', 'v1',
             md5(g::text), md5((g + 1000)::text)
      from generate_series(1, 500) g`);
    const before = await indexes();
    expect(Object.keys(before)).toContain('audit_events_hash_key');
    expect(Object.keys(before)).toContain('audit_events_prev_hash_key');

    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    const after = await indexes();
    expect(Object.keys(after)).toEqual([
      'audit_events_action_seq',
      'audit_events_actor_seq',
      'audit_events_actor_time',
      'audit_events_denied_seq',
      'audit_events_event_id_key',
      'audit_events_occurred_at',
      'audit_events_pkey',
      'audit_events_resource_ids',
    ]);
    expect(after.audit_events_action_seq).toMatch(/WHERE \(action <> ALL \(ARRAY\['read'::text, 'list'::text, 'check'::text\]\)\)/);
    // The planner can prove a lookup of a rare action falls inside the partial index.
    expect(await plan(`select seq from audit_events where action = 'checkpoint' and outcome = 'allowed' order by seq desc limit 1`)).toContain('audit_events_action_seq');
    expect(await plan(`select * from audit_events where seq > 0 and action = 'export' order by seq limit 100`)).toContain('audit_events_action_seq');

    expect((await migrator().migrateTo(BEFORE)).error).toBeUndefined();
    expect(await indexes()).toEqual(before);
  });
});
