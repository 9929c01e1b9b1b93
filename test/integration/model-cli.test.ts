import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { tempFiles } from '../helpers/policy-cli.js';
import { runCli } from '../helpers/run-cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/** `npm run model -- plan | apply` as an operator runs it: a real process, its output and exit status. */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const model = (args: string[], env: Record<string, string> = {}) => runCli('model', args, { DATABASE_URL: database.url, ...env });
const exists = async (table: string) => (await database.query(`select to_regclass($1) is not null as found`, [table])).rows[0].found as boolean;

const { withPets, invalid } = tempFiles({
  withPets: readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('resources:\n', 'resources:\n  Pet:\n    plural: pets\n    fields:\n      id: { type: id }\n      name: { type: string, required: true }\n'),
  invalid: 'resources:\n  Pet:\n    plural: pets\n    fields:\n      id: { type: id }\n      kind: { type: enum }\nroles: {}\n',
});

describe('npm run model (child process)', { timeout: 90_000 }, () => {
  it('plan waits for the migrations, which apply runs; then the default model has nothing to do', async () => {
    const before = await model(['plan']);
    expect(before.code).toBe(2);
    expect(before.stdout).toMatch(/^-- Migrations pending: 2026-11-23T1900_customers-and-audit, /m);
    const applied = await model(['apply']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^-- Migrations applied: /m);
    const after = await model(['plan']);
    expect(after.stdout).toBe('-- The data model of policies/default.yaml against DATABASE_URL.\n-- Nothing to do: the database matches the model.\n');
    expect(after.code).toBe(0);
  });

  it('plan prints the pending SQL and runs none of it; apply runs it', async () => {
    const plan = await model(['plan'], { POLICY_FILE: withPets! });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('-- Pet: create table public.pets\nCREATE TABLE pets (\n  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n  name text NOT NULL\n);');
    expect(await exists('pets')).toBe(false);
    expect((await model(['apply'], { POLICY_FILE: withPets! })).code).toBe(0);
    expect(await exists('pets')).toBe(true);
    expect((await model(['plan'], { POLICY_FILE: withPets! })).code).toBe(0);
  });

  it('drift is printed commented out, exits 2, and apply leaves it alone', async () => {
    await database.query(`alter table customers add column legacy_code text`);
    const plan = await model(['plan']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('-- Customer: column legacy_code is not in the model\n-- ALTER TABLE customers DROP COLUMN legacy_code;');
    expect((await model(['apply'])).code).toBe(2);
    expect((await database.query(`select count(*)::int as n from information_schema.columns where table_name = 'customers' and column_name = 'legacy_code'`)).rows[0].n).toBe(1);
  });

  it('an invalid model or a missing command exits 1 and says why', async () => {
    const bad = await model(['plan'], { POLICY_FILE: invalid! });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/:6 resources\.Pet\.fields\.kind\.type: an enum needs its values/);
    const usage = await model([]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/^Usage: npm run model -- plan \| apply/);
  });
});
