import { hostname, userInfo } from 'node:os';
import { withDevSecret } from '../auth/dev-secret.js';
import { signDevToken } from '../auth/dev-token.js';
import type { Config } from '../config.js';
import { describeHolder, type LockHolder } from '../data/folder-lock.js';

export interface ServiceAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** A running service that holds the PGlite folder, asked over HTTP in the CLI's stead. */
export interface RunningService {
  holder: LockHolder & { url: string };
  request(method: 'GET' | 'POST', path: string): Promise<ServiceAnswer>;
}

/**
 * The CLI's way to a service holding its folder. Its token is FIELDGUARD_TOKEN when
 * set, else a one-minute auditor token signed with the dev secret (AUTH_DEV_SECRET, or
 * the one in PGLITE_DIR, which the service shares when both see the same folder).
 */
export function runningService(config: Config, holder: LockHolder & { url: string }): RunningService {
  const who = describeHolder(holder);
  // The lock file is only as trustworthy as the folder: never send a token anywhere but
  // to a service of this machine on loopback.
  if (holder.hostname !== hostname() || !isLoopbackHttp(holder.url)) {
    throw new Error(`${config.pgliteDir} is held by ${who}, which is not a service on this machine's loopback: the CLI will not send it a token; stop it or use another PGLITE_DIR`);
  }
  const fromEnv = process.env.FIELDGUARD_TOKEN;
  const auth = withDevSecret(config).auth;
  if (!fromEnv && !auth.devSecret) {
    throw new Error(`${config.pgliteDir} is held by ${who}, and the CLI cannot mint a token for it (no dev secret): set FIELDGUARD_TOKEN to an auditor or admin token`);
  }
  return {
    holder,
    async request(method, path) {
      const token = fromEnv ?? (await signDevToken(auth, { sub: `cli:${userInfo().username}`, roles: ['auditor'], ttlSeconds: 60 }));
      let res: Response;
      try {
        res = await fetch(new URL(path, holder.url), { method, headers: { authorization: `Bearer ${token}`, 'user-agent': 'fieldguard-cli' } });
      } catch (err) {
        const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw new Error(`cannot reach ${who} (${code}); it holds ${config.pgliteDir}, so the CLI will not open the folder itself: try again once it has started or stopped`, {
          cause: err,
        });
      }
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.status === 401 || res.status === 403) throw new Error(refusal(res.status, body, Boolean(fromEnv)));
      return { status: res.status, body };
    },
  };
}

function refusal(status: number, body: Record<string, unknown>, fromEnv: boolean): string {
  const what = `the service refused the CLI's token (${status} ${String(body.code ?? '')}: ${String(body.detail ?? '')})`;
  if (fromEnv) return `${what}; FIELDGUARD_TOKEN must be a valid token with an auditor or admin role`;
  return status === 401
    ? `${what}; run the CLI with the service's AUTH_DEV_SECRET and PGLITE_DIR, or set FIELDGUARD_TOKEN to an auditor or admin token`
    : `${what}; the auditor role may not read the audit trail under the service's policy: set FIELDGUARD_TOKEN to a token that may`;
}

function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}
