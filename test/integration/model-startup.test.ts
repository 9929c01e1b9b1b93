import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { buildApp } from '../../src/app.js';
import { migrateToLatest } from '../../src/data/migrate.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { compilePolicyText, type Policy } from '../../src/policy/load-policy.js';
import { httpFor } from '../helpers/http-client.js';
import { openModelDatabase } from '../helpers/model-database.js';
import { captureLogs, testAppConfig } from '../helpers/test-app.js';
import { createTestDatabase, onServer, type TestDatabase } from '../helpers/test-database.js';
import { startIdentityProvider, type TestIdentityProvider } from '../helpers/tokens.js';

let database: TestDatabase;
let idp: TestIdentityProvider;
beforeAll(async () => {
  database = await createTestDatabase();
  idp = await startIdentityProvider();
});
afterAll(async () => {
  await idp?.close();
  await database?.drop();
});

/** The default policy with more resources (YAML appended under `resources:`), or a Customer field more. */
function defaultPolicyWith({ resources = '', customerField = '' }: { resources?: string; customerField?: string }): Policy {
  let text = readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('resources:\n', `resources:\n${resources}`);
  if (customerField) {
    const withField = text.replace(/^ {6}fullName: .*\n/m, (line) => `${line}      ${customerField}\n`);
    if (withField === text) throw new Error('the default policy no longer declares Customer.fullName on a line of its own');
    text = withField;
  }
  return compilePolicyText(text, undefined, 'test-policy.yaml');
}

const PET = '  Pet:\n    plural: pets\n    fields:\n      id: { type: id }\n      name: { type: string, required: true }\n';
const CLIENT = '  Client:\n    plural: clients\n    table: crm.clients\n    adopt: true\n    fields:\n      id: { type: id, column: client_id }\n';

function start(policy: Policy, env: Record<string, string> = {}) {
  const config = testAppConfig(database.url, idp, { DEMO_DATA: 'false', DATABASE_PREPARED_STATEMENTS: String(database.preparedStatements), ...env });
  return buildApp(config, { policy, poolMax: database.poolMax, logStream: captureLogs().logStream });
}

const exists = async (table: string) => (await database.query(`select to_regclass($1) is not null as found`, [table])).rows[0].found as boolean;

describe('the data model at start-up', () => {
  it('refuses to start while an adopted table does not fit, and creates nothing', async () => {
    const refused = await start(defaultPolicyWith({ resources: PET + CLIENT })).catch((err: Error) => err);
    expect((refused as Error).message).toBe('Adopted tables do not fit the model:\n  Client: table crm.clients does not exist');
    expect(await exists('pets')).toBe(false);
  });

  it('without MIGRATE_ON_START, refuses while the model\'s tables are missing, and says what to run', async () => {
    const refused = await start(defaultPolicyWith({ resources: PET }), { MIGRATE_ON_START: 'false' }).catch((err: Error) => err);
    expect((refused as Error).message).toMatch(/lacks what the model declares \(run npm run model -- apply as the tables' owner\):\n {2}Pet: create table public\.pets/);
  });

  it('applies the model\'s steps, even one waiting on a busy table longer than the request statement timeout', async () => {
    // Another session holds the table the step alters; PGlite has one session, so no wait there.
    const holder = onServer ? new pg.Client({ connectionString: database.url }) : null;
    await holder?.connect();
    await holder?.query('begin');
    await holder?.query('lock table customers in access exclusive mode');
    const release = new Promise((resolve) => setTimeout(resolve, 600)).then(() => holder?.query('commit'));
    const started = Date.now();
    const app = await start(defaultPolicyWith({ customerField: 'nickname: { type: string, class: identity }' }), { DATABASE_STATEMENT_TIMEOUT_MS: '100' }).finally(async () => {
      await release;
      await holder?.end();
    });
    try {
      // It did wait (six times the timeout) and was not cancelled.
      if (onServer) expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect((await database.query(`select count(*)::int as n from information_schema.columns where table_name = 'customers' and column_name = 'nickname'`)).rows[0].n).toBe(1);
      expect((await httpFor(app)({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it.skipIf(!onServer)('runs a slow migration without the statement timeout, and gives the pool its timeout back', async () => {
    const t = await openModelDatabase(100);
    try {
      let during: unknown;
      const slow = {
        up: async (db: Parameters<(typeof migrations)[string]['up']>[0]) => {
          during = (await sql`show statement_timeout`.execute(db)).rows[0];
          await sql`select pg_sleep(0.4)`.execute(db);
        },
      };
      await migrateToLatest(t.db, { ...migrations, '9999-99-99T9999_slow': slow });
      expect(during).toEqual({ statement_timeout: '0' });
      await expect(sql`select pg_sleep(0.4)`.execute(t.db)).rejects.toThrow(/statement timeout/);
    } finally {
      await t.close();
    }
  });
});
