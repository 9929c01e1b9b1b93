import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export const ISSUER = 'https://idp.bench.invalid/';
export const AUDIENCE = 'fieldguard-bench';
const KID = 'bench-es256';

export interface LocalJwks {
  /** Environment for fieldguard: trust this JWKS instead of the dev secret. */
  env: Record<string, string>;
  token(sub: string, roles: string[]): Promise<string>;
  close(): Promise<void>;
}

/** An ES256 key pair and its JWKS served on 127.0.0.1 from the bench process. */
export async function startLocalJwks(): Promise<LocalJwks> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'ES256', use: 'sig' }] });
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: { AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE },
    token: (sub, roles) => sign(privateKey, sub, roles),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const sign = (key: CryptoKey, sub: string, roles: string[]) =>
  new SignJWT({ roles })
    .setProtectedHeader({ alg: 'ES256', kid: KID })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(key);
