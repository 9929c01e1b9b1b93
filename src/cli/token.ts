import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { devSecretFile, withDevSecret } from '../auth/dev-secret.js';
import { signDevToken } from '../auth/dev-token.js';
import { loadConfig } from '../config.js';

/**
 * Prints a signed development token:
 *   npm run token -- --sub alice --role agent [--role manager] [--claim specialty=cardiology] [--ttl 3600]
 * Signed with AUTH_DEV_SECRET or the generated secret in <PGLITE_DIR>/dev-secret, the
 * same one a service with the same PGLITE_DIR verifies with (its banner prints the
 * command for its own configuration). Refused in production.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true, default: [] },
      claim: { type: 'string', multiple: true, default: [] },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const base = loadConfig();
  const file = devSecretFile(base);
  const fresh = !base.auth.devSecret && !base.auth.jwksUrl && !existsSync(file);
  const config = withDevSecret(base);
  if (!config.auth.devSecret) throw new Error('No dev secret: the token command works only with AUTH_DEV_SECRET or in development');
  if (!values.sub) throw new Error('Usage: npm run token -- --sub <subject> --role <role> [--role <role>] [--claim name=value] [--ttl seconds]');
  const extra = Object.fromEntries(values.claim.map(parseClaim));
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new Error('--ttl must be 1..86400 seconds');
  // A new secret means no service has used this folder: its tokens are refused by a
  // service started with another PGLITE_DIR. Said on stderr, so $(...) still gets the token.
  if (fresh) process.stderr.write(`note: created a new dev secret in ${file}; a service started with another PGLITE_DIR will refuse this token\n`);
  process.stdout.write(`${await signDevToken(config.auth, { sub: values.sub, roles: values.role, ttlSeconds: ttl, extra })}\n`);
}

/** `specialty=cardiology`; the registered claims (sub, exp, ...) and the roles claim are the command's own. */
function parseClaim(text: string): [string, string] {
  const at = text.indexOf('=');
  const name = at > 0 ? text.slice(0, at) : '';
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) || ['sub', 'iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'roles'].includes(name)) {
    throw new Error(`--claim must be name=value with a name of your own (not sub, roles or a registered claim): ${JSON.stringify(text)}`);
  }
  return [name, text.slice(at + 1)];
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
