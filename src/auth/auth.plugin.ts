import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import type { AuthFailureReason } from '../metrics/registry.js';
import type { AuthFailureRecorder } from './auth-audit.js';
import type { WindowCounter } from '../plugins/window-counter.js';
import { createFailureLimiter } from './failure-limiter.js';
import type { Principal } from './principal.js';
import type { PrincipalStatusStore } from './principal-status.js';
import type { TokenVerifier } from './verify-token.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** preHandler for every data route: verifies the bearer token or answers 401. */
    authenticate(request: FastifyRequest): Promise<void>;
  }
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)$/i;

interface AuthOptions {
  verifyToken: TokenVerifier;
  /** Disabled people, checked after every verification (cached or not); none when absent. */
  principalStatus?: PrincipalStatusStore;
  onFailure?: AuthFailureRecorder;
  /** Refused credentials audited per client address and window; 0 turns the bound off. */
  failureLimit?: { max: number; windowMs: number; counter?: WindowCounter };
  /** Counts each refusal by a reason from a fixed set (metrics); nothing from the token. */
  onRefused?: (reason: AuthFailureReason) => void;
}

const REASONS: Partial<Record<AppError['code'], AuthFailureReason>> = {
  PRINCIPAL_DISABLED: 'disabled',
  UNAVAILABLE: 'unavailable',
  AUDIT_UNAVAILABLE: 'unavailable',
  RATE_LIMITED: 'throttled',
};

async function authPlugin(app: FastifyInstance, options: AuthOptions) {
  const failures = createFailureLimiter(options.failureLimit?.max ?? 0, options.failureLimit?.windowMs ?? 60_000, options.failureLimit?.counter);
  app.decorateRequest('principal', null);
  const refused = options.onRefused ?? (() => {});
  app.decorate('authenticate', async (request: FastifyRequest) => {
    try {
      await authenticate(request);
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'UNAUTHENTICATED';
      refused(request.headers.authorization ? (REASONS[code] ?? 'invalid') : 'missing');
      throw err;
    }
  });

  async function authenticate(request: FastifyRequest) {
    const header = request.headers.authorization;
    // No credential at all is not audited: nothing was presented, so nothing was refused.
    if (!header) throw new AppError('UNAUTHENTICATED', 'A bearer token is required.');
    let principal: Principal;
    try {
      const match = BEARER.exec(header);
      if (!match) throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".');
      principal = await options.verifyToken(match[1]!);
    } catch (err) {
      await refuse(request, err instanceof AppError ? err : new AppError('UNAUTHENTICATED', 'The bearer token is invalid.'), null);
    }
    // After the token cache too: a disabled person's token is refused however recently it
    // was verified. A memory that may be stale refuses everyone (503), unaudited: nothing
    // was decided about this caller.
    const refusal = options.principalStatus?.refusal(principal!);
    if (refusal?.code === 'UNAVAILABLE') throw refusal;
    if (refusal) await refuse(request, refusal, principal!);
    request.principal = principal!;
  }

  /** Audits a refused credential (within the per-address bound) and throws its error. */
  async function refuse(request: FastifyRequest, failure: AppError, principal: Principal | null): Promise<never> {
    const retryAfter = await failures.retryAfter(request.ip);
    if (retryAfter > 0) throw new AppError('RATE_LIMITED', 'Too many refused credentials from this address.', { retryAfter });
    await options.onFailure?.(request, failure, principal);
    throw failure;
  }
}

export default fp(authPlugin, { name: 'auth' });
