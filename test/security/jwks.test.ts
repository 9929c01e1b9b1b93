import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { signToken } from '../helpers/tokens.js';

// A short cooldown so the test can watch it expire; production uses 30 s.
const COOLDOWN_MS = 1_000;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ AUTH_JWKS_COOLDOWN_MS: String(COOLDOWN_MS) });
});
afterAll(() => t?.close());

const get = (token: string) => t.http({ url: '/v1/customers', headers: { authorization: `Bearer ${token}` } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const attackerKey = async () => generateKeyPair('ES256', { extractable: true });

describe('keys offered by the token itself', () => {
  it('never fetches a jku or x5u URL, and refuses the token', async () => {
    let hits = 0;
    const { privateKey, publicKey } = await attackerKey();
    const jwk = { ...(await exportJWK(publicKey)), kid: 'evil', alg: 'ES256' };
    const trap = createServer((_req, res) => {
      hits += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/jwks.json`;
    try {
      for (const header of [{ jku: url }, { x5u: url }, { jku: url, x5u: url }]) {
        const token = await signToken({ sub: 'alice', roles: ['admin'] }, privateKey, { alg: 'ES256', kid: 'evil', ...header });
        const res = await get(token);
        expect(res.statusCode).toBe(401);
        expect(res.json().detail).toMatch(/key references/);
      }
      await sleep(200);
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => trap.close(resolve));
    }
  });
});

describe('the JWKS cache', () => {
  it('picks up a rotated key after one refetch', async () => {
    expect((await get(await t.token('alice', 'agent'))).statusCode).toBe(200);
    const before = t.idp.jwksFetches();
    await t.idp.rotate();
    await sleep(COOLDOWN_MS + 100);
    expect((await get(await t.token('alice', 'agent'))).statusCode).toBe(200);
    expect(t.idp.jwksFetches()).toBe(before + 1);
  });

  it('fetches at most once per cooldown however many unknown kids arrive', async () => {
    await sleep(COOLDOWN_MS + 100);
    const { privateKey } = await attackerKey();
    const forged = () =>
      Promise.all(Array.from({ length: 40 }, (_, i) => signToken({ sub: 'alice', roles: ['admin'] }, privateKey, { alg: 'ES256', kid: `unknown-${i}-${Math.random()}` })));
    const floods = [await forged(), await forged()];
    const start = t.idp.jwksFetches();
    const began = performance.now();
    // At most one fetch per cooldown started: a loaded machine that takes longer than one
    // cooldown over the floods may fetch once more per cooldown, never once per kid.
    const allowed = () => 1 + Math.floor((performance.now() - began) / COOLDOWN_MS);
    for (const tokens of floods) {
      const responses = await Promise.all(tokens.map(get));
      expect(responses.every((r) => r.statusCode === 401)).toBe(true);
      expect(t.idp.jwksFetches() - start).toBeLessThanOrEqual(allowed());
    }
    // The real key still works throughout: the flood did not evict it.
    expect((await get(await t.token('alice', 'agent'))).statusCode).toBe(200);
  });
});

describe('the identity provider down', () => {
  it('answers 401/503 and never data when the JWKS cannot be fetched and no key is cached', async () => {
    const down = await startTestApp({ AUTH_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json' });
    try {
      const res = await down.http({ url: '/v1/customers', headers: { authorization: `Bearer ${await down.token('root', 'admin')}` } });
      expect([401, 503]).toContain(res.statusCode);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).not.toMatch(/Marchetti|items/);
    } finally {
      await down.close();
    }
  });
});
