import { createBenchDatabase, seedBookings, seedCustomers } from '../lib/bench-database.js';
import { startLocalJwks } from '../lib/jwks.js';
import { BASELINE, freePorts, POSTGRAPHILE, startServer, stopServer } from '../lib/processes.js';
import { ratioTable, runRounds, type Target, type TargetResult } from '../lib/rounds.js';

const gql = (query: string, variables: Record<string, unknown> = {}) => ({ method: 'POST' as const, body: JSON.stringify({ query, variables }) });
const SINGLE = 'query One($id: ID!) { customer(id: $id) { id fullName email phone iban access { masked withheld } } }';
const POSTGRAPHILE_SINGLE = 'query One($id: UUID!) { customerByRowId(rowId: $id) { rowId fullName email phone iban } }';
const LIST = 'query List { customers(first: 50) { nodes { id fullName email phone address iban } } }';
const NESTED = 'query Nested { customers(first: 50) { nodes { id fullName phone bookings(first: 5) { nodes { id startsAt } } } } }';

/** The names the summary (bench/lib/summary.ts) looks its rows up by. */
export const TARGETS = {
  baselineRead: 'baseline pk read',
  restRead: 'REST single masked read (agent)',
  graphqlRead: 'GraphQL single (agent)',
  postgraphileRead: 'PostGraphile 5 single (no auth, masking or audit)',
  baselineList: 'baseline list of 50',
  restList: 'REST list of 50 (agent)',
  graphqlList: 'GraphQL list of 50 (agent)',
  baselineNested: 'baseline list of 50 + bookings',
  graphqlNested: 'GraphQL list of 50 + bookings (agent)',
} as const;

/**
 * Issues 7 and 16: fieldguard against a bare fastify + pg baseline and against
 * PostGraphile 5 serving the same table, same seeded database, same run, alternating
 * rounds. fieldguard trusts a local JWKS (ES256), as in production.
 */
export async function vsBaseline(): Promise<{ markdown: string; data: TargetResult[] }> {
  const database = await createBenchDatabase();
  const [FIELDGUARD_PORT, BASELINE_PORT, POSTGRAPHILE_PORT] = (await freePorts(3)) as [number, number, number];
  const jwks = await startLocalJwks();
  try {
    const fieldguardEnv = { DATABASE_URL: database.url, DEMO_DATA: 'false', RATE_LIMIT_MAX: '0', ...jwks.env };
    await stopServer(await startServer(fieldguardEnv, FIELDGUARD_PORT)); // applies the migrations
    const ids = await seedCustomers(database.url, 10_000);
    await seedBookings(database.url, 3);
    const id = ids[5000]!;
    const fieldguard = () => startServer(fieldguardEnv, FIELDGUARD_PORT);
    const baseline = () => startServer({ DATABASE_URL: database.url }, BASELINE_PORT, BASELINE);
    const postgraphile = () => startServer({ DATABASE_URL: database.url, GRAPHILE_ENV: 'production' }, POSTGRAPHILE_PORT, POSTGRAPHILE);
    const as = async (role: string, run: number) => ({ authorization: `Bearer ${await jwks.token(`bench-${role}-${run}`, [role])}` });
    const json = { 'content-type': 'application/json' };
    const agentGraphql = (query: string, variables?: Record<string, unknown>) => async (run: number) => ({ path: '/graphql', headers: { ...json, ...(await as('agent', run)) }, body: gql(query, variables) });
    const bare = (path: string) => async () => ({ path, headers: {} });
    const t = TARGETS;
    const targets: Target[] = [
      { name: t.baselineRead, reference: t.baselineRead, port: BASELINE_PORT, start: baseline, request: bare(`/customers/${id}`) },
      { name: t.restRead, reference: t.baselineRead, port: FIELDGUARD_PORT, start: fieldguard, request: async (run) => ({ path: `/v1/customers/${id}`, headers: await as('agent', run) }) },
      { name: t.graphqlRead, reference: t.baselineRead, port: FIELDGUARD_PORT, start: fieldguard, request: agentGraphql(SINGLE, { id }) },
      { name: t.postgraphileRead, reference: t.baselineRead, port: POSTGRAPHILE_PORT, start: postgraphile, request: async () => ({ path: '/graphql', headers: json, body: gql(POSTGRAPHILE_SINGLE, { id }) }) },
      { name: t.baselineList, reference: t.baselineList, port: BASELINE_PORT, start: baseline, request: bare('/customers?limit=50') },
      { name: t.restList, reference: t.baselineList, port: FIELDGUARD_PORT, start: fieldguard, request: async (run) => ({ path: '/v1/customers?limit=50', headers: await as('agent', run) }) },
      { name: t.graphqlList, reference: t.baselineList, port: FIELDGUARD_PORT, start: fieldguard, request: agentGraphql(LIST) },
      { name: t.baselineNested, reference: t.baselineNested, port: BASELINE_PORT, start: baseline, request: bare('/customers-with-bookings?limit=50') },
      { name: t.graphqlNested, reference: t.baselineNested, port: FIELDGUARD_PORT, start: fieldguard, request: agentGraphql(NESTED) },
    ];
    const rows = await runRounds(targets);
    const markdown = `fieldguard vs bare fastify + pg and PostGraphile 5 (ES256 JWT from a local JWKS, durable audit)\n\n${ratioTable(rows)}`;
    return { markdown, data: rows };
  } finally {
    await jwks.close();
    await database.drop();
  }
}
