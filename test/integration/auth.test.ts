import { httpFor } from '../helpers/http-client.js';
import { createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { CLOCK_TOLERANCE_SECONDS } from '../../src/auth/verify-token.js';
import { loadConfig } from '../../src/config.js';
import { startTestApp, graphql, type TestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { AUDIENCE, ISSUER, signDevToken, signToken } from '../helpers/tokens.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const get = (token: string | undefined, url = '/v1/customers') =>
  t.http({ url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe('bearer tokens verified against the JWKS', () => {
  it('accepts a valid ES256 token', async () => {
    expect((await get(await t.token('alice', 'agent'))).statusCode).toBe(200);
  });

  it('answers 401 with WWW-Authenticate and a problem body when the token is missing', async () => {
    for (const url of ['/v1/customers', '/v1/customers/export', '/v1/audit/events']) {
      const res = await get(undefined, url);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
    const gql = await t.http({ method: 'POST', url: '/graphql', payload: { query: '{ customers { nodes { id } } }' } });
    expect(gql.statusCode).toBe(401);
    expect(gql.headers['www-authenticate']).toBe('Bearer');
  });

  it('checks the token before parsing anything: an anonymous bad request is still 401', async () => {
    const bigQuery = await t.http({ url: '/v1/customers?limit=5000' });
    expect(bigQuery.statusCode).toBe(401);
    const body = await t.http({ method: 'POST', url: '/v1/customers', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    expect(body.statusCode).toBe(401);
    const basic = await t.http({ url: '/v1/customers', headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } });
    expect(basic.statusCode).toBe(401);
    expect(basic.headers['www-authenticate']).toBe('Bearer error="invalid_request"');
  });

  const bad: Array<[string, () => Promise<string>]> = [
    ['expired beyond the clock tolerance', () => t.idp.sign({ sub: 'alice', roles: ['agent'], expiresIn: Math.floor(Date.now() / 1000) - 120 })],
    ['without exp', () => t.idp.sign({ sub: 'alice', roles: ['agent'], expiresIn: null })],
    ['without sub', () => t.idp.sign({ sub: undefined, roles: ['agent'] })],
    ['from another issuer', () => t.idp.sign({ sub: 'alice', roles: ['agent'], issuer: 'https://evil.example/' })],
    ['for another audience', () => t.idp.sign({ sub: 'alice', roles: ['agent'], audience: 'other-service' })],
    ['with roles that are not a string array', () => t.idp.sign({ sub: 'alice', roles: 'admin' })],
    ['with nbf in the future', () => t.idp.sign({ sub: 'alice', roles: ['agent'], extra: { nbf: Math.floor(Date.now() / 1000) + 600 } })],
    ['signed by a key the JWKS does not hold', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return signToken({ sub: 'alice', roles: ['admin'] }, privateKey, { alg: 'ES256', kid: 'test-key-1' });
    }],
    ['HS256 while a JWKS is configured', () => signDevToken({ sub: 'alice', roles: ['admin'] }, 'x'.repeat(32))],
    ...['none', 'None', 'NONE', 'nOnE'].map((alg): [string, () => Promise<string>] => [
      `with alg ${alg}`,
      async () => `${b64({ alg, typ: 'JWT' })}.${b64({ sub: 'alice', roles: ['admin'], iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 })}.`,
    ]),
    ['that is garbage', async () => 'not.a.jwt'],
    // Key confusion: the public key (PEM text, or its JWK JSON) used as an HMAC secret.
    ['HS256-signed with the JWKS public key as PEM', async () => {
      const pem = createPublicKey({ key: t.idp.publicJwk() as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      return signToken({ sub: 'alice', roles: ['admin'] }, new TextEncoder().encode(String(pem)), { alg: 'HS256', kid: 'test-key-1' });
    }],
    ['HS256-signed with the JWKS public key as JWK JSON', () =>
      signToken({ sub: 'alice', roles: ['admin'] }, new TextEncoder().encode(JSON.stringify(t.idp.publicJwk())), { alg: 'HS256', kid: 'test-key-1' })],
    ['carrying its own key in an embedded jwk header', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      return signToken({ sub: 'alice', roles: ['admin'] }, privateKey, { alg: 'ES256', jwk: await exportJWK(publicKey) });
    }],
    ...["../../../../dev/null", "' OR '1'='1", 'test-key-1\u0000', 'x'.repeat(2000)].map((kid): [string, () => Promise<string>] => [
      `with a crafted kid ${JSON.stringify(kid.slice(0, 20))}`,
      async () => signToken({ sub: 'alice', roles: ['admin'] }, (await generateKeyPair('ES256')).privateKey, { alg: 'ES256', kid }),
    ]),
    ['with roles as an array of non-strings', () => t.idp.sign({ sub: 'alice', roles: [1, { admin: true }] })],
    ['with roles as an object', () => t.idp.sign({ sub: 'alice', roles: { admin: true } })],
    ['with an empty sub', () => t.idp.sign({ sub: '', roles: ['agent'] })],
    ['that is oversized', () => t.idp.sign({ sub: 'alice', roles: ['agent'], extra: { pad: 'x'.repeat(9000) } })],
  ];

  it.each(bad)('refuses a token %s with 401 and an audited, anonymous denial', async (_name, make) => {
    const token = await make();
    const res = await get(token);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
    expect(res.json().code).toBe('UNAUTHENTICATED');
    const { rows } = await t.database.query('select * from audit_events where request_id = $1', [res.headers['x-request-id']]);
    expect(rows).toHaveLength(1);
    // Nothing from an unverified token is trusted or kept: no actor, no token text.
    expect(rows[0]).toMatchObject({ action: 'authenticate', outcome: 'denied', actor_sub: null, actor_roles: [], actor_token_id: null });
    const payload = token.split('.')[1] ?? '';
    if (payload.length >= 16) expect(JSON.stringify(rows[0])).not.toContain(payload.slice(0, 16));
  });

  it('audits nothing when no credential is presented at all', async () => {
    const res = await get(undefined);
    const { rows } = await t.database.query('select count(*)::int as n from audit_events where request_id = $1', [res.headers['x-request-id']]);
    expect(rows[0].n).toBe(0);
  });

  it('refuses with 503 when the failed authentication cannot be audited', async () => {
    await t.database.query(`alter table audit_events add constraint auth_audit_broken check (false) not valid`);
    try {
      const res = await get(await t.idp.sign({ sub: 'alice', roles: ['agent'], audience: 'other-service' }));
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('AUDIT_UNAVAILABLE');
    } finally {
      await t.database.query('alter table audit_events drop constraint auth_audit_broken');
    }
  });

  it('accepts a token expired only within the clock tolerance, and refuses it just beyond', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await get(await t.idp.sign({ sub: 'alice', roles: ['agent'], expiresIn: now - (CLOCK_TOLERANCE_SECONDS - 5) }))).statusCode).toBe(200);
    expect((await get(await t.idp.sign({ sub: 'alice', roles: ['agent'], expiresIn: now - (CLOCK_TOLERANCE_SECONDS + 5) }))).statusCode).toBe(401);
  });

  it('grants nothing to a role the policy does not know, in REST and GraphQL', async () => {
    const token = await t.token('mallory', 'superuser');
    expect((await get(token)).statusCode).toBe(403);
    const gql = await graphql(t.app, token, '{ customers { nodes { id } } }');
    expect(gql.body.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('the development secret', () => {
  it('verifies HS256 tokens when no JWKS is configured, and refuses other algorithms', async () => {
    const database = await createTestDatabase();
    const secret = 'dev-secret-for-tests-0123456789abcdef';
    const app = await buildApp(loadConfig({ DATABASE_URL: database.url, AUTH_DEV_SECRET: secret, LOG_LEVEL: 'silent', DEMO_DATA: 'true' }), { poolMax: database.poolMax });
    try {
      const ok = await httpFor(app)({ url: '/v1/customers', headers: { authorization: `Bearer ${await signDevToken({ sub: 'alice', roles: ['agent'] }, secret)}` } });
      expect(ok.statusCode).toBe(200);
      const wrong = await httpFor(app)({ url: '/v1/customers', headers: { authorization: `Bearer ${await signDevToken({ sub: 'alice', roles: ['agent'] }, `${secret}x`)}` } });
      expect(wrong.statusCode).toBe(401);
      const { privateKey } = await generateKeyPair('ES256');
      const es = await signToken({ sub: 'alice', roles: ['agent'] }, privateKey, { alg: 'ES256' });
      expect((await httpFor(app)({ url: '/v1/customers', headers: { authorization: `Bearer ${es}` } })).statusCode).toBe(401);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
