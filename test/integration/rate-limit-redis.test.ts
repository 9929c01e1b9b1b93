import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { httpFor, type HttpClient } from '../helpers/http-client.js';
import { captureLogs, startTestApp, testAppConfig, type TestApp } from '../helpers/test-app.js';
import { redisNamespace, redisReachable, TEST_REDIS_URL } from '../helpers/test-redis.js';

// Two instances on one database sharing their rate-limit counters in Redis (REDIS_URL):
// a principal's budget and the bound on audited refusals hold across both. With Redis
// unreachable an instance keeps answering and counts in its own memory.

const reachable = await redisReachable();
const namespace = redisNamespace('rate-limit');
let a: TestApp;
let second: FastifyInstance;
let b: HttpClient;

describe.skipIf(!reachable && !process.env.CI)('rate limits shared through Redis', () => {
  // A count Redis answers late is counted in memory: the test's own process hosts both
  // apps, so give a loaded machine's event loop longer than the 500 ms default.
  const env = { RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_MS: '60000', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: namespace.prefix, REDIS_COMMAND_TIMEOUT_MS: '3000' };

  beforeAll(async () => {
    a = await startTestApp(env);
    second = await buildApp(testAppConfig(a.database.url, a.idp, { ...env, DEMO_DATA: 'false' }), { poolMax: a.database.poolMax, logStream: captureLogs().logStream });
    b = httpFor(second);
  });

  afterAll(async () => {
    await second?.close();
    await a?.close();
    await namespace.drop();
  });

  it('counts one principal across instances: the fifth request is 429 on whichever answers', async () => {
    const headers = { authorization: `Bearer ${await a.token('rl-shared', 'agent')}` };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 === 0 ? a.http : b)({ url: '/v1/customers?limit=1', headers })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const refused = await b({ url: '/v1/customers?limit=1', headers });
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another principal is unaffected, and every key is in the deployment's namespace.
    expect((await b({ url: '/v1/customers?limit=1', headers: { authorization: `Bearer ${await a.token('rl-other', 'agent')}` } })).statusCode).toBe(200);
    expect(await namespace.keys()).toEqual(expect.arrayContaining([`${namespace.prefix}rate:sub:rl-shared`]));
  });

  it('bounds audited refusals per address across instances', async () => {
    const bad = { authorization: 'Bearer not.a.token' };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 === 0 ? b : a.http)({ url: '/v1/customers', headers: bad })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('with Redis unreachable, answers and counts per instance (neither open nor closed)', async () => {
    const { logs, logStream } = captureLogs();
    const config = testAppConfig(a.database.url, a.idp, { ...env, DEMO_DATA: 'false', REDIS_URL: 'redis://127.0.0.1:1' });
    const lonely = await buildApp(config, { poolMax: a.database.poolMax, logStream });
    try {
      const http = httpFor(lonely);
      const headers = { authorization: `Bearer ${await a.token('rl-no-redis', 'agent')}` };
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await http({ url: '/v1/customers?limit=1', headers })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      expect(logs.some((l) => l.level === 40 && /memory/.test(String(l.msg)))).toBe(true);
    } finally {
      await lonely.close();
    }
  });
});
