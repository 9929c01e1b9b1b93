import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { captureLogs, testAppConfig } from './test-app.js';
import { httpFor, type HttpClient } from './http-client.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { startIdentityProvider, type TestIdentityProvider } from './tokens.js';

export interface DeliveryApp {
  app: FastifyInstance;
  http: HttpClient;
  logs: Record<string, unknown>[];
}

/**
 * Several apps over one database in turn or side by side (restarts, two instances), as
 * audit delivery tests need: the first applies the migrations and loads the demo data.
 * On the server at `serverUrl`, else as createTestDatabase chooses.
 */
export async function deliveryDatabase(serverUrl?: string) {
  const database: TestDatabase = await createTestDatabase(serverUrl);
  const idp: TestIdentityProvider = await startIdentityProvider();
  const apps = new Set<FastifyInstance>();
  let first = true;
  return {
    database,
    token: (sub: string, ...roles: string[]) => idp.sign({ sub, roles }),
    async start(env: Record<string, string>): Promise<DeliveryApp> {
      const { logs, logStream } = captureLogs();
      const config = testAppConfig(database.url, idp, { DEMO_DATA: String(first), DATABASE_PREPARED_STATEMENTS: String(database.preparedStatements), ...env });
      first = false;
      const app = await buildApp(config, { logStream, poolMax: database.poolMax });
      apps.add(app);
      const http = httpFor(app);
      await http('/healthz'); // listening and ready: delivery has started
      return { app, http, logs };
    },
    async stop(app: FastifyInstance) {
      apps.delete(app);
      await app.close();
    },
    async close() {
      for (const app of apps) await app.close();
      await idp.close();
      await database.drop();
    },
  };
}

/** Waits until `check` holds, polling every 25 ms; fails with `what` after `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Requests that each write audit events: reads, a list, a refused export, a refused token. */
export async function produceEvents(http: HttpClient, token: (sub: string, ...roles: string[]) => Promise<string>, rounds = 3) {
  const agent = await token('alice', 'agent');
  for (let i = 0; i < rounds; i++) {
    await http({ url: '/v1/customers?limit=2', headers: { authorization: `Bearer ${agent}` } });
    await http({ url: '/v1/customers/export?format=csv', headers: { authorization: `Bearer ${agent}` } });
    await http({ url: '/v1/customers?limit=1', headers: { authorization: 'Bearer not-a-token' } });
  }
}

/** The event ids of the trail, in chain order. */
export async function trailIds(database: TestDatabase): Promise<string[]> {
  const rows = await database.query('select event_id from audit_events order by seq');
  return rows.rows.map((r: { event_id: string }) => r.event_id);
}
