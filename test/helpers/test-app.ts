import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { httpFor, type HttpClient } from './http-client.js';
import { createTestDatabase, onServer, type TestDatabase } from './test-database.js';
import { AUDIENCE, ISSUER, startIdentityProvider, type TestIdentityProvider } from './tokens.js';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  idp: TestIdentityProvider;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  rawLogs: string[];
  /** Calls the app over a real socket on loopback, as a client does. */
  http: HttpClient;
  /** SQL statements the app has sent so far (kysely's query log): read it before and after. */
  statements(): number;
  /** A real ES256-signed token for this subject and these roles. */
  token(sub: string, ...roles: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Log lines written by an app, kept raw and parsed. */
export function captureLogs() {
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { rawLogs, logs, logStream };
}

/**
 * The configuration of an app under test: this database, this identity provider, demo
 * data, then `env`. Named statements only on a PostgreSQL server: embedded PGlite serves
 * every connection in one session, where a second app preparing the same statement
 * fails (42P05).
 */
export const testAppConfig = (databaseUrl: string, idp: TestIdentityProvider, env: Record<string, string>) =>
  loadConfig({
    DATABASE_URL: databaseUrl,
    DATABASE_PREPARED_STATEMENTS: String(onServer),
    AUTH_JWKS_URL: idp.jwksUrl,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    DEMO_DATA: 'true',
    LOG_LEVEL: 'info',
    NODE_ENV: 'test',
    ...env,
  });

/**
 * The real app, on its own fresh database, trusting a test identity provider's JWKS.
 * Demo data is loaded, so tests can name the fictional customers.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: Pick<AppOptions, 'onStatement' | 'clock'> & { beforeStart?: (database: TestDatabase) => Promise<void> } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  // What exists before the service does (a CRM's own tables, for one).
  await options.beforeStart?.(database);
  const idp = await startIdentityProvider();
  const { rawLogs, logs, logStream } = captureLogs();
  const config = testAppConfig(database.url, idp, { DATABASE_PREPARED_STATEMENTS: String(database.preparedStatements), ...env });
  let statements = 0;
  const onStatement = (sql: string) => {
    statements += 1;
    options.onStatement?.(sql);
  };
  const app = await buildApp(config, { logStream, poolMax: database.poolMax, onStatement, ...(options.clock ? { clock: options.clock } : {}) });
  return {
    app,
    database,
    idp,
    logs,
    rawLogs,
    http: httpFor(app),
    statements: () => statements,
    token: (sub, ...roles) => idp.sign({ sub, roles }),
    close: async () => {
      await app.close();
      await idp.close();
      await database.drop();
    },
  };
}

/** What Apollo Client 4 asks for: refusals of the query come as 4xx with a GraphQL body. */
export const GRAPHQL_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

/** Calls the GraphQL endpoint the way a frontend does. */
export async function graphql(app: FastifyInstance, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await httpFor(app)({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: GRAPHQL_ACCEPT },
    payload: { query, variables },
  });
  return { status: res.statusCode, body: res.json() as { data: Record<string, any> | null; errors?: any[] } };
}
