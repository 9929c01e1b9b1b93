import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AuthConfig } from '../config.js';

export interface DevTokenClaims {
  sub: string;
  roles: string[];
  ttlSeconds: number;
  /** Other claims the policy's conditions name (`$principal.specialty`). */
  extra?: Readonly<Record<string, string>>;
}

/**
 * A development token, HS256 with the dev secret, shaped as the service verifies it:
 * `npm run token` prints one, and the audit CLI mints a short one to ask a running
 * service (over HTTP) instead of opening its PGlite folder a second time.
 */
export async function signDevToken(auth: AuthConfig, claims: DevTokenClaims): Promise<string> {
  if (!auth.devSecret) throw new Error('No dev secret: development tokens need AUTH_DEV_SECRET or the generated one (not in production)');
  let jwt = new SignJWT({ ...claims.extra, [auth.rolesClaim]: claims.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds}s`);
  if (auth.issuer) jwt = jwt.setIssuer(auth.issuer);
  if (auth.audience) jwt = jwt.setAudience(auth.audience);
  return jwt.sign(new TextEncoder().encode(auth.devSecret));
}
