import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../../src/config.js';

// Counts full verifications (signature and claims) while keeping jose's real behaviour.
const calls = vi.hoisted(() => ({ jwtVerify: 0 }));
vi.mock('jose', async (importOriginal) => {
  const jose = await importOriginal<typeof import('jose')>();
  return {
    ...jose,
    jwtVerify: (...args: Parameters<typeof jose.jwtVerify>) => {
      calls.jwtVerify++;
      return jose.jwtVerify(...args);
    },
  };
});

const { createTokenVerifier, CLOCK_TOLERANCE_SECONDS } = await import('../../src/auth/verify-token.js');

const SECRET = 'a-development-secret-of-32-characters-or-more';
const config = (tokenCacheMs: number): AuthConfig => ({
  jwksUrl: undefined,
  issuer: undefined,
  audience: undefined,
  rolesClaim: 'roles',
  devSecret: SECRET,
  jwksCooldownMs: 30_000,
  tokenCacheMs,
});
const sign = (expiresInSeconds: number, secret = SECRET) =>
  new SignJWT({ roles: ['agent'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('agent-1')
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(secret));

describe('verified-token cache', () => {
  afterEach(() => {
    vi.useRealTimers();
    calls.jwtVerify = 0;
  });

  it('checks a token in full once, then trusts it again without its signature', async () => {
    const verify = createTokenVerifier(config(60_000));
    const token = await sign(600);
    const first = await verify(token);
    const second = await verify(token);
    expect(second).toEqual(first);
    expect(second.sub).toBe('agent-1');
    expect(calls.jwtVerify).toBe(1);
  });

  it('never trusts a cached token past its exp (plus the clock tolerance)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = createTokenVerifier(config(3_600_000));
    const token = await sign(10);
    await verify(token);
    vi.setSystemTime(Date.now() + (10 + CLOCK_TOLERANCE_SECONDS + 2) * 1000);
    await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('expired') });
  });

  it('checks the signature again once the cache time has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = createTokenVerifier(config(1_000));
    const token = await sign(600);
    await verify(token);
    vi.setSystemTime(Date.now() + 1_500);
    await verify(token);
    expect(calls.jwtVerify).toBe(2);
  });

  it('remembers no refused token: each attempt is checked in full', async () => {
    const verify = createTokenVerifier(config(60_000));
    const forged = await sign(600, 'another-secret-of-at-least-32-characters!!');
    await expect(verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls.jwtVerify).toBe(2);
  });

  it('with AUTH_TOKEN_CACHE_SECONDS=0 checks every request in full', async () => {
    const verify = createTokenVerifier(config(0));
    const token = await sign(600);
    await verify(token);
    await verify(token);
    expect(calls.jwtVerify).toBe(2);
  });

  it('hands out principals no request can change', async () => {
    const verify = createTokenVerifier(config(60_000));
    const principal = await verify(await sign(600));
    expect(() => principal.roles.push('admin')).toThrow(TypeError);
    expect((await verify(await sign(600))).roles).toEqual(['agent']);
  });
});
