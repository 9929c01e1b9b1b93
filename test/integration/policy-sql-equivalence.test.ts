import fc from 'fast-check';
import { sql, type SqlBool } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import { listVisibleCustomers } from '../../src/data/customer.repository.js';
import { openDatabase, type Db } from '../../src/data/database.js';
import { migrateToLatest } from '../../src/data/migrate.js';
import { sqlFilterFor } from '../../src/data/policy-sql.js';
import { buildAbility } from '../../src/policy/ability.js';
import { canSee, decideFields } from '../../src/policy/field-access.js';
import { compilePolicy } from '../../src/policy/load-policy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// Property: for random policies, principals and data, the records (and, per field, the
// records where it is clear) that the SQL pushed down by the policy selects are exactly
// those the in-memory CASL decision allows. Lists, cursors and counts depend on it.

const FIELDS = ['id', 'fullName', 'email', 'phone', 'privacyLevel', 'assignees', 'marketingOptOut', 'createdAt'];
const SUBS = ['alice', 'bob', 'carol'];
const NAMES = ['Ada', 'Bea', 'Cy'];

const fieldTest = fc.oneof(
  fc.record({ privacyLevel: fc.oneof(fc.constantFrom('standard', 'confidential'), fc.record({ ne: fc.constantFrom('standard', 'confidential') }), fc.record({ in: fc.subarray(['standard', 'confidential']) }), fc.record({ nin: fc.subarray(['standard', 'confidential']) })) }),
  fc.record({ marketingOptOut: fc.oneof(fc.boolean(), fc.record({ ne: fc.boolean() })) }),
  fc.record({ fullName: fc.oneof(fc.constantFrom(...NAMES), fc.record({ in: fc.subarray(NAMES) }), fc.record({ ne: fc.constantFrom(...NAMES) })) }),
  fc.record({ assignees: fc.record({ contains: fc.constantFrom('$principal.sub', ...SUBS) }) }),
  // A nullable field: null must mean the same in SQL as in memory, also under NOT.
  fc.record({ email: fc.oneof(fc.constantFrom(null, 'x@example.com'), fc.record({ ne: fc.constantFrom(null, 'x@example.com') }), fc.record({ in: fc.subarray([null, 'x@example.com']) }), fc.record({ nin: fc.subarray([null, 'x@example.com']) })) }),
);
const condition = fc.array(fieldTest, { minLength: 1, maxLength: 2 }).map((tests) => Object.assign({}, ...tests));
const when = fc.option(fc.array(condition, { minLength: 1, maxLength: 2 }), { nil: undefined });
const fieldsArb = fc.option(fc.subarray(FIELDS, { minLength: 1 }), { nil: undefined });
const canRule = fc.record({ actions: fc.subarray(['read', 'read_masked'] as const, { minLength: 1 }), fields: fieldsArb, when }).map((r) => ({
  ...r,
  subject: 'Customer',
  // read_masked only on fields that have a mask
  fields: r.actions.includes('read_masked') ? (r.fields ?? FIELDS).filter((f) => ['email', 'phone', 'fullName'].includes(f)).concat(r.actions.length > 1 ? [] : []) : r.fields,
}));
const cannotRule = fc.record({ actions: fc.constant(['read'] as const), fields: fieldsArb, when }).map((r) => ({ ...r, subject: 'Customer', reason: 'no' }));
const roleSpec = fc.record({ can: fc.array(canRule, { minLength: 1, maxLength: 4 }), cannot: fc.array(cannotRule, { maxLength: 2 }) }).map(({ can, cannot }) => ({
  can: can.filter((c) => !c.fields || c.fields.length > 0),
  cannot,
}));
// Two independent roles: the principal holds one or both, so the union of roles is covered.
const policyDoc = fc.record({ r: roleSpec, s: roleSpec }).map((roles) => ({
  resources: {
    Customer: {
      fields: {
        id: { class: 'system' },
        fullName: { class: 'identity', mask: 'initials' },
        email: { class: 'contact', mask: 'email' },
        phone: { class: 'contact', mask: 'digits' },
        privacyLevel: { class: 'system' },
        assignees: { class: 'system' },
        marketingOptOut: { class: 'system' },
        createdAt: { class: 'system' },
      },
    },
  },
  roles,
}));
const customer = fc.record({
  fullName: fc.constantFrom(...NAMES),
  email: fc.option(fc.constant('x@example.com'), { nil: null }),
  phone: fc.option(fc.constant('+39 300 000 0000'), { nil: null }),
  privacyLevel: fc.constantFrom('standard', 'confidential'),
  assignees: fc.subarray(SUBS),
  marketingOptOut: fc.boolean(),
});

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ url: database.url, poolMax: 1, log: pino({ level: 'silent' }) });
  await migrateToLatest(db);
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const ALL = () => sql<SqlBool>`true`;
const NONE = () => sql<SqlBool>`false`;
const page = { sort: { field: 'id', descending: false }, after: null, limit: 1000 } as const;

describe('SQL pushdown equals the in-memory policy decision', () => {
  it('for random policies, principals and data', async () => {
    await fc.assert(
      fc.asyncProperty(policyDoc, fc.constantFrom(...SUBS), fc.constantFrom<string[]>(['r'], ['s'], ['r', 's'], ['s', 'r']), fc.array(customer, { maxLength: 12 }), async (doc, sub, roles, data) => {
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

        for (const field of FIELDS) {
          const clear = sqlFilterFor(ability, ['read'], 'Customer', field) ?? NONE;
          const clearBySql = (await listVisibleCustomers(db, { ...page, where: [visible, clear] })).map((c) => c.id);
          const clearInMemory = all
            .filter((c) => canSee(ability, 'Customer', c) && decideFields(ability, policy, 'Customer', c).clear.includes(field))
            .map((c) => c.id);
          expect(clearBySql, field).toEqual(clearInMemory);
        }
      }),
      { numRuns: process.env.DATABASE_URL ? 80 : 30 },
    );
  }, 120_000);
});
