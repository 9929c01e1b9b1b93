import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { signToken } from '../helpers/tokens.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

/** Each refused token, and the reason REST has always given for it. */
const cases: Array<[string, () => Promise<string>, string]> = [
  [
    'an expired token',
    () => t.idp.sign({ sub: 'alice', roles: ['agent'], expiresIn: Math.floor(Date.now() / 1000) - 120 }),
    'The bearer token is invalid: expired.',
  ],
  [
    'a token whose signature does not verify',
    async () => {
      // Signed by another key under the JWKS key's kid: the signature check itself fails.
      const { privateKey } = await generateKeyPair('ES256');
      return signToken({ sub: 'alice', roles: ['agent'] }, privateKey, { alg: 'ES256', kid: 'test-key-1' });
    },
    'The bearer token is invalid: signature verification failed.',
  ],
];

describe('both doors give the same reason for a refused token', () => {
  it.each(cases)('%s', async (_name, make, reason) => {
    const token = await make();
    const authorization = `Bearer ${token}`;
    const rest = await t.http({ url: '/v1/customers', headers: { authorization } });
    expect(rest.statusCode).toBe(401);
    expect(rest.json()).toMatchObject({ code: 'UNAUTHENTICATED', detail: reason });

    for (const accept of ['application/graphql-response+json', 'application/json']) {
      const gql = await t.http({
        method: 'POST',
        url: '/graphql',
        headers: { authorization, accept, 'content-type': 'application/json' },
        payload: { query: '{ customers { nodes { id } } }' },
      });
      expect(gql.statusCode).toBe(401);
      expect(gql.headers['www-authenticate']).toBe(rest.headers['www-authenticate']);
      expect(gql.json().errors).toEqual([{ message: reason, extensions: { code: 'UNAUTHENTICATED' } }]);
    }
  });

  it('and a missing token is still "required" on both', async () => {
    const rest = await t.http({ url: '/v1/customers' });
    const gql = await t.http({ method: 'POST', url: '/graphql', payload: { query: '{ __typename }' } });
    expect([rest.statusCode, gql.statusCode]).toEqual([401, 401]);
    expect(gql.json().errors[0].message).toBe(rest.json().detail);
    expect(gql.headers['www-authenticate']).toBe('Bearer');
  });
});
