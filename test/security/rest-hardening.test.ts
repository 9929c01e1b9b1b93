import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

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

describe('NUL characters are refused at the door, never a 500', () => {
  it('in a GraphQL filter value: VALIDATION_FAILED, as in a REST query string', async () => {
    const query = 'query($v: String!) { customers(filter: [{ field: "fullName", equals: $v }]) { nodes { id } } }';
    const gql = await graphql(t.app, admin, query, { v: 'Giulia\u0000' });
    expect(gql.status).toBe(200);
    expect(gql.body.errors?.[0].extensions.code).toBe('VALIDATION_FAILED');
    const literal = await graphql(t.app, admin, '{ customers(filter: [{ field: "fullName", equals: "a\\u0000b" }]) { nodes { id } } }');
    expect(literal.body.errors?.[0].extensions.code).toBe('VALIDATION_FAILED');
    const rest = await call('GET', `/v1/customers?filter[fullName]=${encodeURIComponent('Giulia\u0000')}`);
    expect(rest.statusCode).toBe(400);
  });

  it('in a token claim (sub, a role): 401 on both doors', async () => {
    for (const claims of [{ sub: 'eve\u0000', roles: ['admin'] }, { sub: 'eve', roles: ['admin\u0000'] }]) {
      const token = await t.idp.sign(claims);
      const rest = await t.http({ url: '/v1/customers', headers: { authorization: `Bearer ${token}` } });
      expect(rest.statusCode).toBe(401);
      expect(rest.json().code).toBe('UNAUTHENTICATED');
      expect((await graphql(t.app, token, '{ customers { nodes { id } } }')).status).toBe(401);
    }
  });
});
