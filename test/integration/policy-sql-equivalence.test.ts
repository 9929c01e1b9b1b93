import fc from 'fast-check';
import { sql, type SqlBool } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import { listVisibleCustomers } from '../../src/data/customer.repository.js';
import { openDatabase, type Db } from '../../src/data/database.js';
import { migrateToLatest } from '../../src/data/migrate.js';
import { sqlFilterFor, sqlFilterForResource } from '../../src/data/policy-sql.js';
import { listVisibleRecords, RECORD } from '../../src/data/record.repository.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { buildAbility } from '../../src/policy/ability.js';
import { canSee, decideFields } from '../../src/policy/field-access.js';
import { compilePolicy, loadPolicyFile } from '../../src/policy/load-policy.js';
import { customer, FIELDS, heldRoles, policyDoc, SUBS } from '../helpers/policy-arbitraries.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// Property: for random policies, principals and data, the records (and, per field, the
// records where it is clear) that the SQL pushed down by the policy selects are exactly
// those the in-memory CASL decision allows. Lists, cursors and counts depend on it.

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ url: database.url, poolMax: 1, preparedStatements: database.preparedStatements, log: pino({ level: 'silent' }) });
  await migrateToLatest(db);
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const ALL = () => sql<SqlBool>`true`;
const NONE = () => sql<SqlBool>`false`;
const page = { sort: { field: 'id', descending: false }, after: null, limit: 1000 } as const;
// The generic record queries (every resource's door) translate the same rules onto the
// model's columns: the default policy's Customer, over the same table.
const customerModel = loadPolicyFile(DEFAULT_POLICY_FILE, undefined).model.resources.get('Customer')!;
const genericIds = async (where: Parameters<typeof listVisibleRecords>[2]['where']) =>
  (await listVisibleRecords(db, customerModel, { where, sort: { field: customerModel.id, descending: false }, after: null, limit: 1000 })).map((c) => c.id);

describe('SQL pushdown equals the in-memory policy decision', () => {
  it('for random policies, principals and data', async () => {
    await fc.assert(
      fc.asyncProperty(policyDoc, fc.constantFrom(...SUBS), heldRoles, fc.array(customer, { maxLength: 12 }), async (doc, sub, roles, data) => {
        await db.deleteFrom('customers').execute();
        if (data.length > 0) await db.insertInto('customers').values(data).execute();
        const policy = compilePolicy(doc, 'v', undefined);
        const principal: Principal = { sub, roles, tokenId: null, claims: {} };
        const ability = buildAbility(policy, principal);
        const all = await listVisibleCustomers(db, { ...page, where: [ALL] });

        const visible = sqlFilterFor(ability, ['read', 'read_masked'], 'Customer') ?? NONE;
        const bySql = (await listVisibleCustomers(db, { ...page, where: [visible] })).map((c) => c.id);
        const inMemory = all.filter((c) => canSee(ability, 'Customer', c)).map((c) => c.id);
        expect(bySql).toEqual(inMemory);
        const visibleColumns = sqlFilterForResource(ability, ['read', 'read_masked'], customerModel, RECORD) ?? NONE;
        expect(await genericIds([visibleColumns])).toEqual(inMemory);

        for (const field of FIELDS) {
          const clear = sqlFilterFor(ability, ['read'], 'Customer', field) ?? NONE;
          const clearBySql = (await listVisibleCustomers(db, { ...page, where: [visible, clear] })).map((c) => c.id);
          const clearInMemory = all
            .filter((c) => canSee(ability, 'Customer', c) && decideFields(ability, policy, 'Customer', c).clear.includes(field))
            .map((c) => c.id);
          expect(clearBySql, field).toEqual(clearInMemory);
          const clearColumns = sqlFilterForResource(ability, ['read'], customerModel, RECORD, field) ?? NONE;
          expect(await genericIds([visibleColumns, clearColumns]), field).toEqual(clearInMemory);
        }
      }),
      { numRuns: process.env.DATABASE_URL ? 80 : 30 },
    );
  }, 120_000);
});
