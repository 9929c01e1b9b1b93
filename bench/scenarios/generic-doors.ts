import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { createBenchDatabase, seedBookings, seedCustomers } from '../lib/bench-database.js';
import { startLocalJwks } from '../lib/jwks.js';
import { BASELINE, freePorts, startServer, stopServer } from '../lib/processes.js';
import { ratioTable, runRounds, type Target } from '../lib/rounds.js';
import type { ScenarioResult } from '../run.js';

/**
 * The default policy's model with Customer under another plural (`people`, same table):
 * no door of its own then, so every resource is served by the generated doors, over the
 * very rows and rules the hand-written customer door serves.
 */
function genericPolicyFile(): string {
  const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
  const generic = text
    .replace('  Customer:\n    plural: customers\n', '  Customer:\n    plural: people\n    table: customers\n')
    .replaceAll('readBudget: { customers:', 'readBudget: { people:');
  if (generic === text || !generic.includes('plural: people')) throw new Error('the default policy no longer declares Customer as this scenario expects');
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-bench-')), 'generic.yaml');
  writeFileSync(file, generic);
  return file;
}

/**
 * Issue 12: what the generated doors cost next to the hand-written customer door, both
 * against the bare fastify + pg baseline, same database, same run, alternating rounds.
 */
export async function genericDoors(): Promise<ScenarioResult> {
  const database = await createBenchDatabase();
  const [OWN_PORT, GENERIC_PORT, BASELINE_PORT] = (await freePorts(3)) as [number, number, number];
  const jwks = await startLocalJwks();
  try {
    const env = { DATABASE_URL: database.url, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0', ...jwks.env };
    await stopServer(await startServer(env, OWN_PORT)); // applies the migrations
    const ids = await seedCustomers(database.url, 10_000);
    await seedBookings(database.url, 3);
    const id = ids[5000]!;
    const genericEnv = { ...env, POLICY_FILE: genericPolicyFile() };
    const own = () => startServer(env, OWN_PORT);
    const generic = () => startServer(genericEnv, GENERIC_PORT);
    const baseline = () => startServer({ DATABASE_URL: database.url }, BASELINE_PORT, BASELINE);
    const as = async (role: string, run: number) => ({ authorization: `Bearer ${await jwks.token(`bench-${role}-${run}`, [role])}` });
    const targets: Target[] = [
      { name: 'baseline pk read', reference: 'baseline pk read', port: BASELINE_PORT, start: baseline, request: async () => ({ path: `/customers/${id}`, headers: {} }) },
      { name: 'own door: REST single (agent)', reference: 'baseline pk read', port: OWN_PORT, start: own, request: async (run) => ({ path: `/v1/customers/${id}`, headers: await as('agent', run) }) },
      { name: 'generated door: REST single (agent)', reference: 'baseline pk read', port: GENERIC_PORT, start: generic, request: async (run) => ({ path: `/v1/people/${id}`, headers: await as('agent', run) }) },
      { name: 'baseline list of 50', reference: 'baseline list of 50', port: BASELINE_PORT, start: baseline, request: async () => ({ path: '/customers?limit=50', headers: {} }) },
      { name: 'own door: REST list of 50 (agent)', reference: 'baseline list of 50', port: OWN_PORT, start: own, request: async (run) => ({ path: '/v1/customers?limit=50', headers: await as('agent', run) }) },
      { name: 'generated door: REST list of 50 (agent)', reference: 'baseline list of 50', port: GENERIC_PORT, start: generic, request: async (run) => ({ path: '/v1/people?limit=50', headers: await as('agent', run) }) },
    ];
    const rows = await runRounds(targets);
    const markdown = `generated doors vs the hand-written customer door (same rows, same rules; ratios to bare fastify + pg)\n\n${ratioTable(rows)}`;
    return { markdown, data: rows };
  } finally {
    await jwks.close();
    await database.drop();
  }
}
