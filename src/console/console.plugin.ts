import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { signDevToken } from '../auth/dev-token.js';
import type { AuthConfig, ConsoleOidcConfig } from '../config.js';
import { AppError } from '../errors.js';
import { CONSOLE_DIST } from '../paths.js';
import type { PolicyStore } from '../policy/policy-store.js';

/**
 * The console's CSP: its own hashed scripts and styles only (the build inlines nothing),
 * API calls to this origin, and to the identity provider's when the console signs in
 * there (discovery and the token endpoint are called from the page; the authorization
 * endpoint is a navigation, which connect-src does not govern).
 */
export const consoleCsp = (issuerOrigin: string | null) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${issuerOrigin ? ` ${issuerOrigin}` : ''}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};
/** A built asset's name: Vite's `name-hash.ext`, no path. */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}\.[a-z0-9]{1,8}$/;
const typeOf = (name: string) => TYPES[name.slice(name.lastIndexOf('.'))];

const NOT_BUILT = 'The console has not been built. Run `npm run console:build` (npm start does it for you), then reload this page.\n';

interface Built {
  index: Buffer;
  /** File name -> bytes: the fixed list served under /console/assets/. */
  assets: Map<string, { bytes: Buffer; type: string }>;
}

/** Reads the build once it exists; rereads when a rebuild changed it (development). */
function builtConsole(dir: string) {
  let built: Built | null = null;
  let builtAt = 0;
  return (): Built | null => {
    let mtime: number;
    try {
      mtime = statSync(join(dir, 'index.html')).mtimeMs;
    } catch {
      built = null;
      return null;
    }
    if (built && mtime === builtAt) return built;
    const assets = new Map<string, { bytes: Buffer; type: string }>();
    for (const name of readdirSync(join(dir, 'assets'), { withFileTypes: true })) {
      const type = typeOf(name.name);
      if (name.isFile() && ASSET_NAME.test(name.name) && type) assets.set(name.name, { bytes: readFileSync(join(dir, 'assets', name.name)), type });
    }
    built = { index: readFileSync(join(dir, 'index.html')), assets };
    builtAt = mtime;
    return built;
  };
}

export interface ConsoleOptions {
  auth: AuthConfig;
  /** True when the service accepts development tokens (no JWKS, not production): the role picker is offered. */
  devSignIn: boolean;
  policyStore: PolicyStore;
  /** Sign-in at the identity provider (OpenID Connect, PKCE), when configured. */
  oidc?: ConsoleOidcConfig | null;
  /** The built console's folder; dist/console by default. */
  dir?: string;
}

const devTokenBody = z
  .object({
    sub: z.string().trim().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1 to 64 letters, digits or ._@-'),
    roles: z.array(z.string().min(1).max(100)).min(1).max(5),
  })
  .strict();
/** A console session's development token lives an hour, as `npm run token`'s default. */
const DEV_TOKEN_SECONDS = 3600;

/**
 * The web console at /console: the built single-page app from a fixed list of files
 * (no path from the URL reaches the file system), its index for every client route,
 * a strict CSP on every answer. In development, `/console/dev-token` mints a token for a
 * role of the running policy, as `npm run token` does; it does not exist otherwise.
 */
export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions) {
  const read = builtConsole(options.dir ?? CONSOLE_DIST);
  const oidc = options.oidc ?? null;
  const csp = consoleCsp(oidc ? new URL(oidc.issuer).origin : null);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', csp);
  });

  // What the page needs to know before anyone signs in: public values only (a public client, PKCE).
  const publicConfig = {
    devSignIn: options.devSignIn,
    oidc: oidc && { issuer: oidc.issuer, clientId: oidc.clientId, scope: oidc.scope, resource: oidc.resource, audience: oidc.audience, rolesClaim: options.auth.rolesClaim },
  };
  app.get('/console/config.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return publicConfig;
  });

  const index = async (_request: unknown, reply: FastifyReply) => {
    const built = read();
    if (!built) return reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(built.index);
  };
  app.get('/console', { schema: { hide: true } }, index);
  app.get('/console/*', { schema: { hide: true } }, index);
  app.get<{ Params: { name: string } }>('/console/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const name = request.params.name;
    const asset = ASSET_NAME.test(name) ? read()?.assets.get(name) : undefined;
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('No such console file.\n');
    // Hashed names: a new build has new names, so a file never changes under its name.
    return reply.type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.bytes);
  });

  if (!options.devSignIn) {
    const off = async () => {
      throw new AppError('NOT_FOUND', 'Development sign-in is off: this service accepts tokens from its identity provider only.');
    };
    app.get('/console/dev-token', { schema: { hide: true } }, off);
    app.post('/console/dev-token', { schema: { hide: true } }, off);
    return;
  }
  const roles = () => [...options.policyStore.current.policy.roles.keys()].sort();
  app.get('/console/dev-token', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { roles: roles() };
  });
  app.post('/console/dev-token', { schema: { hide: true, body: { type: 'object' } } }, async (request, reply) => {
    const parsed = devTokenBody.safeParse(request.body);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const known = new Set(roles());
    const unknown = parsed.data.roles.filter((r) => !known.has(r));
    if (unknown.length > 0) throw new AppError('VALIDATION_FAILED', `roles: the running policy has no role ${unknown.map((r) => JSON.stringify(r)).join(', ')}`);
    const token = await signDevToken(options.auth, { sub: parsed.data.sub, roles: [...new Set(parsed.data.roles)], ttlSeconds: DEV_TOKEN_SECONDS });
    reply.header('cache-control', 'no-store');
    return { token, expiresIn: DEV_TOKEN_SECONDS };
  });
}
