import { projectFile } from '../../src/paths.js';
import { createBenchDatabase, seedBookings, seedCustomers } from '../lib/bench-database.js';
import { startLocalJwks } from '../lib/jwks.js';
import { startServer, stopServer } from '../lib/processes.js';
import { ratioTable, runRounds, type Target } from '../lib/rounds.js';
import type { ScenarioResult } from '../run.js';

const FIELDGUARD_PORT = 18_181;
const BASELINE_PORT = 18_182;

const gql = (query: string, variables: Record<string, unknown> = {}) => ({ method: 'POST' as const, body: JSON.stringify({ query, variables }) });
const SINGLE = 'query One($id: ID!) { customer(id: $id) { id fullName email phone iban access { masked withheld } } }';
const LIST = 'query List { customers(first: 50) { nodes { id fullName phone bookings(first: 5) { nodes { id startsAt } } } } }';

/**
 * Issue 7: fieldguard against a bare fastify + pg baseline, same seeded database, same
 * run, alternating rounds. fieldguard trusts a local JWKS (ES256), as in production.
 */
export async function vsBaseline(): Promise<ScenarioResult> {
  const database = await createBenchDatabase();
  const jwks = await startLocalJwks();
  try {
    const fieldguardEnv = { DATABASE_URL: database.url, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0', ...jwks.env };
    await stopServer(await startServer(fieldguardEnv, FIELDGUARD_PORT)); // applies the migrations
    const ids = await seedCustomers(database.url, 10_000);
    await seedBookings(database.url, 3);
    const id = ids[5000]!;
    const fieldguard = () => startServer(fieldguardEnv, FIELDGUARD_PORT);
    const baseline = () => startServer({ DATABASE_URL: database.url }, BASELINE_PORT, projectFile('bench', 'baseline-server.ts'));
    const as = async (role: string, run: number) => ({ authorization: `Bearer ${await jwks.token(`bench-${role}-${run}`, [role])}` });
    const json = { 'content-type': 'application/json' };
    const targets: Target[] = [
      { name: 'baseline pk read', reference: 'baseline pk read', port: BASELINE_PORT, start: baseline, request: async () => ({ path: `/customers/${id}`, headers: {} }) },
      { name: 'REST single masked read (agent)', reference: 'baseline pk read', port: FIELDGUARD_PORT, start: fieldguard, request: async (run) => ({ path: `/v1/customers/${id}`, headers: await as('agent', run) }) },
      { name: 'REST single read (admin, no masking)', reference: 'baseline pk read', port: FIELDGUARD_PORT, start: fieldguard, request: async (run) => ({ path: `/v1/customers/${id}`, headers: await as('admin', run) }) },
      { name: 'GraphQL single (agent)', reference: 'baseline pk read', port: FIELDGUARD_PORT, start: fieldguard, request: async (run) => ({ path: '/graphql', headers: { ...json, ...(await as('agent', run)) }, body: gql(SINGLE, { id }) }) },
      { name: 'baseline list of 50', reference: 'baseline list of 50', port: BASELINE_PORT, start: baseline, request: async () => ({ path: '/customers?limit=50', headers: {} }) },
      { name: 'REST list of 50 (agent)', reference: 'baseline list of 50', port: FIELDGUARD_PORT, start: fieldguard, request: async (run) => ({ path: '/v1/customers?limit=50', headers: await as('agent', run) }) },
      { name: 'baseline list of 50 + bookings', reference: 'baseline list of 50 + bookings', port: BASELINE_PORT, start: baseline, request: async () => ({ path: '/customers-with-bookings?limit=50', headers: {} }) },
      { name: 'GraphQL list of 50 + bookings (agent)', reference: 'baseline list of 50 + bookings', port: FIELDGUARD_PORT, start: fieldguard, request: async (run) => ({ path: '/graphql', headers: { ...json, ...(await as('agent', run)) }, body: gql(LIST) }) },
    ];
    const rows = await runRounds(targets);
    const markdown = `fieldguard vs bare fastify + pg (ES256 JWT from a local JWKS, durable audit)\n\n${ratioTable(rows)}`;
    return { markdown, data: rows };
  } finally {
    await jwks.close();
    await database.drop();
  }
}
