import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { withDevSecret } from '../auth/dev-secret.js';
import { loadConfig } from '../config.js';

/**
 * Prints a signed development token:
 *   npm run token -- --sub alice --role agent [--role manager] [--ttl 3600]
 * Signed with AUTH_DEV_SECRET or the generated secret in <PGLITE_DIR>/dev-secret,
 * the same one the service verifies with. Refused in production.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true, default: [] },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const config = withDevSecret(loadConfig());
  if (!config.auth.devSecret) throw new Error('No dev secret: the token command works only with AUTH_DEV_SECRET or in development');
  if (!values.sub) throw new Error('Usage: npm run token -- --sub <subject> --role <role> [--role <role>] [--ttl seconds]');
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new Error('--ttl must be 1..86400 seconds');
  let jwt = new SignJWT({ [config.auth.rolesClaim]: values.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(values.sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`);
  if (config.auth.issuer) jwt = jwt.setIssuer(config.auth.issuer);
  if (config.auth.audience) jwt = jwt.setAudience(config.auth.audience);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(config.auth.devSecret))}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
