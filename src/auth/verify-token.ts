import { hasNul } from '../core/no-nul.js';
import { MAX_SUB_LENGTH } from '../ids.js';
import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { Principal } from './principal.js';

/** Seconds of clock skew tolerated between us and the identity provider. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** Real tokens are a few hundred bytes; anything this big is an attack or a mistake. */
const MAX_TOKEN_LENGTH = 8192;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Header members that point at a key instead of naming one of ours. jose never follows
 * them, but a token carrying them is an attack by construction, so it is refused by name.
 */
const KEY_REFERENCES = ['jku', 'x5u', 'jwk', 'x5c'];

/** Distinct verified tokens remembered at once; a busy instance sees a few thousand callers. */
const VERIFIED_TOKENS_MAX = 10_000;

const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

export type TokenVerifier = (token: string) => Promise<Principal>;

const invalid = (why: string) => new AppError('UNAUTHENTICATED', `The bearer token is invalid: ${why}.`);

/**
 * Builds the verifier for the configured trust: a JWKS (asymmetric algorithms only,
 * keys fetched and cached by jose, refetched when an unknown `kid` shows up) or the
 * HS256 development secret. Never both, so the secret cannot forge production tokens.
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  let key: JWTVerifyGetKey | Uint8Array;
  let algorithms: string[];
  if (config.jwksUrl) {
    key = createRemoteJWKSet(new URL(config.jwksUrl), {
      // An unknown kid triggers at most one refetch per cooldown, however many arrive.
      cooldownDuration: config.jwksCooldownMs,
      cacheMaxAge: 600_000,
    });
    algorithms = ASYMMETRIC;
  } else if (config.devSecret) {
    key = new TextEncoder().encode(config.devSecret);
    algorithms = ['HS256'];
  } else {
    throw new Error('No token verification configured: set AUTH_JWKS_URL or AUTH_DEV_SECRET');
  }
  const options = {
    algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    // jose accepts tokens without exp unless told; a token that never expires is refused.
    requiredClaims: ['exp', 'sub'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };

  // Checking an ES256 signature costs far more CPU than the rest of a read, and a client
  // sends the same token with every request: a verified token is trusted again without
  // its signature for at most `tokenCacheMs` and never past its own `exp`. Only tokens
  // that passed every check are remembered; a refused one is checked in full each time.
  const verified = config.tokenCacheMs > 0 ? new LRUCache<string, { principal: Principal; trustedUntilMs: number }>({ max: VERIFIED_TOKENS_MAX }) : null;

  const verify = async (token: string): Promise<Principal> => {
    const hit = verified?.get(token);
    if (hit && Date.now() < hit.trustedUntilMs) return hit.principal;
    const { principal, expiresAtMs } = await verifyFully(token);
    verified?.set(token, { principal, trustedUntilMs: Math.min(expiresAtMs, Date.now() + config.tokenCacheMs) });
    return principal;
  };

  const verifyFully = async (token: string) => {
    if (token.length > MAX_TOKEN_LENGTH) throw invalid('too large');
    let payload: JWTPayload;
    try {
      const header = readHeader(token);
      if (KEY_REFERENCES.some((name) => name in header)) throw invalid('key references in the header are not accepted');
      payload =
        key instanceof Uint8Array
          ? (await jwtVerify(token, key, options)).payload
          : (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      throw translate(err);
    }
    // jose accepted it up to exp + tolerance; the cache keeps it no longer than that.
    return { principal: toPrincipal(payload, config.rolesClaim), expiresAtMs: (payload.exp! + CLOCK_TOLERANCE_SECONDS) * 1000 };
  };
  return verify;
}

function readHeader(token: string): Record<string, unknown> {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw invalid('malformed');
  }
}

function toPrincipal(payload: JWTPayload, rolesClaim: string): Principal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > MAX_SUB_LENGTH) {
    throw invalid(`sub must be a non-empty string of at most ${MAX_SUB_LENGTH} characters`);
  }
  // PostgreSQL text cannot hold NUL: a sub, role or claim carrying one would fail the
  // first query it reaches (a 500), so the token is refused at the door instead.
  if (hasNul(payload)) throw invalid('claims must not contain NUL characters');
  const roles = payload[rolesClaim] ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw invalid(`${rolesClaim} must be an array of strings`);
  }
  const tokenId = typeof payload.jti === 'string' ? payload.jti : null;
  const claims: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (REGISTERED_CLAIMS.has(name) || name === rolesClaim) continue;
    if (typeof value === 'string') claims[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) claims[name] = Object.freeze([...value]);
  }
  // Frozen: a cached principal serves many requests, so none of them may change it.
  return Object.freeze({ sub: payload.sub, roles: Object.freeze([...roles]) as string[], tokenId, claims: Object.freeze(claims) });
}

function translate(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof errors.JWTExpired) return invalid('expired');
  if (err instanceof errors.JWTClaimValidationFailed) return invalid(`claim ${err.claim} failed validation`);
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return new AppError('UNAVAILABLE', 'The identity provider is unreachable.');
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('algorithm not allowed');
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('signature verification failed');
  if (err instanceof errors.JWKSNoMatchingKey) return invalid('no matching key');
  if (err instanceof errors.JOSEError) return invalid('malformed');
  // A fetch failure of the JWKS (network down) is not the caller's fault.
  return new AppError('UNAVAILABLE', 'The identity provider is unreachable.');
}
