import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const ISSUER = 'https://idp.test.local/';
export const AUDIENCE = 'fieldguard';

export interface TokenOptions {
  sub?: string | undefined;
  roles?: unknown;
  expiresIn?: string | number | null;
  extra?: JWTPayload;
  issuer?: string;
  audience?: string;
}

/** An identity provider for tests: an ES256 key served as a JWKS on a loopback port. */
export interface TestIdentityProvider {
  jwksUrl: string;
  sign(options: TokenOptions): Promise<string>;
  /** How many times the JWKS has been fetched (tests bound refetches). */
  jwksFetches(): number;
  /** The public key the JWKS currently serves, as a JWK (for key-confusion attacks). */
  publicJwk(): JWK;
  /** Replaces the signing key; the JWKS then serves only the new one. Returns its kid. */
  rotate(): Promise<string>;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export async function startIdentityProvider(): Promise<TestIdentityProvider> {
  let key = await newKey('test-key-1');
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [key.jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    sign: (options) => signToken(options, key.privateKey, { alg: 'ES256', kid: key.kid }),
    jwksFetches: () => fetches,
    publicJwk: () => key.jwk,
    rotate: async () => {
      key = await newKey(`test-key-${Date.now()}`);
      return key.kid;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function signToken(
  options: TokenOptions,
  key: Parameters<SignJWT["sign"]>[0],
  header: { alg: string; kid?: string; [name: string]: unknown },
): Promise<string> {
  const payload: JWTPayload = { roles: options.roles ?? [], ...options.extra };
  let jwt = new SignJWT(payload).setProtectedHeader({ ...header, typ: 'JWT' }).setIssuedAt();
  if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
  if (options.expiresIn !== null) jwt = jwt.setExpirationTime(options.expiresIn ?? '5m');
  jwt = jwt.setIssuer(options.issuer ?? ISSUER).setAudience(options.audience ?? AUDIENCE);
  return jwt.sign(key);
}

/** HS256 token signed with a development secret. */
export const signDevToken = (options: TokenOptions, secret: string) =>
  signToken(options, new TextEncoder().encode(secret), { alg: 'HS256' });
