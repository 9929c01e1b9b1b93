import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_MAX: '1000', CORS_ORIGINS: 'https://crm.example.com' });
  admin = await t.token('root', 'admin');
});
afterAll(() => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.http({ method, url, headers: { authorization: `Bearer ${admin}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('requests are bounded', () => {
  it('refuses a body over the limit with 413', async () => {
    const res = await call('POST', '/v1/customers', { fullName: 'x', notes: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses unknown properties in bodies and query strings of every route with 400', async () => {
    const id = (await call('GET', '/v1/customers?limit=1')).json().items[0].id as string;
    const cases: Array<[string, string, unknown?]> = [
      ['POST', '/v1/customers', { fullName: 'Eve', isAdmin: true }],
      ['PATCH', `/v1/customers/${id}`, { role: 'admin' }],
      ['POST', '/v1/policy/preview', { principal: { sub: 'a', roles: ['agent'] }, resource: 'Customer', id, extra: 1 }],
      ['GET', '/v1/customers?limit=1&debug=true'],
      ['GET', '/v1/customers/export?format=csv&all=1'],
      ['GET', '/v1/audit/events?admin=1'],
      ['GET', '/v1/audit/report?actor=alice&x=1'],
      ['GET', '/v1/audit/verify?full=1'],
    ];
    for (const [method, url, body] of cases) {
      const res = await call(method as 'GET', url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('caps the page size', async () => {
    expect((await call('GET', '/v1/customers?limit=101')).statusCode).toBe(400);
    expect((await call('GET', '/v1/audit/events?limit=100000')).statusCode).toBe(400);
  });
});

describe('browser-facing headers', () => {
  it('sends helmet headers and a CSP that allows nothing on the API', async () => {
    const res = await call('GET', '/v1/customers');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('gives Swagger UI a CSP it can work with', async () => {
    const res = await t.http({ url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('allows only configured origins', async () => {
    const preflight = (origin: string) =>
      t.http({ method: 'OPTIONS', url: '/v1/customers', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    const allowed = await preflight('https://crm.example.com');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://crm.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    const other = await preflight('https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await call('GET', '/v1/customers', undefined, { origin: 'https://evil.example' });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limit per principal', () => {
  it('answers 429 with Retry-After once one principal spends its budget, and not for others', async () => {
    const limited = await startTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' });
    try {
      const token = await limited.token('greedy', 'agent');
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        statuses.push((await limited.http({ url: '/v1/customers', headers: { authorization: `Bearer ${token}` } })).statusCode);
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const res = await limited.http({ url: '/v1/customers', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.json().code).toBe('RATE_LIMITED');
      const gql = await limited.http({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}` }, payload: { query: '{ customers { nodes { id } } }' } });
      expect(gql.statusCode).toBe(429);
      const other = await limited.token('modest', 'agent');
      expect((await limited.http({ url: '/v1/customers', headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(200);
      // Without a token the budget is per address, health probes included (openapi.yaml says 429 there).
      const probes: number[] = [];
      for (let i = 0; i < 6; i++) probes.push((await limited.http({ url: '/healthz' })).statusCode);
      expect(probes).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
