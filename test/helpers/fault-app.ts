import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import type { Send } from './fault-load.js';
import type { PrivatePostgres } from './private-postgres.js';
import { httpFor } from './http-client.js';
import { captureLogs, testAppConfig } from './test-app.js';
import { startIdentityProvider, type TestIdentityProvider } from './tokens.js';

export interface FaultApp {
  app: FastifyInstance;
  idp: TestIdentityProvider;
  /** URL of the app's database on the private server. */
  url: string;
  logs: Record<string, unknown>[];
  send: Send;
  token(sub: string, ...roles: string[]): Promise<string>;
  /** Customer ids an agent may read and update (the non-confidential demo customers). */
  agentCustomerIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** The real app (as startTestApp builds it) on a fresh database of a private server. */
export async function startFaultApp(server: PrivatePostgres, env: Record<string, string> = {}): Promise<FaultApp> {
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE fieldguard');
  await admin.end();
  const url = server.urlFor('fieldguard');
  const idp = await startIdentityProvider();
  const { logs, logStream } = captureLogs();
  const config = testAppConfig(url, idp, env);
  const app = await buildApp(config, { logStream });
  const send: Send = async ({ method, url: path, headers, body }) => {
    const res = await httpFor(app)({ method, url: path, headers, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.body };
  };
  const token = (sub: string, ...roles: string[]) => idp.sign({ sub, roles, expiresIn: '15m' });
  return {
    app,
    idp,
    url,
    logs,
    send,
    token,
    async agentCustomerIds() {
      const res = await send({ method: 'GET', url: '/v1/customers?limit=100', headers: { authorization: `Bearer ${await token('setup', 'agent')}` } });
      return (JSON.parse(res.body) as { items: Array<{ id: string }> }).items.map((c) => c.id);
    },
    async close() {
      await app.close();
      await idp.close();
    },
  };
}
