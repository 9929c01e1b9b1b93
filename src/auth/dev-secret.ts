import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';

/**
 * Outside production, with neither a JWKS nor AUTH_DEV_SECRET configured, the service
 * and `npm run token` share a random secret kept in `<PGLITE_DIR>/dev-secret`, so a
 * newcomer gets working tokens without any secret being committed to the repository.
 */
export function withDevSecret(config: Config): Config {
  if (config.auth.jwksUrl || config.auth.devSecret || config.nodeEnv === 'production') return config;
  const file = devSecretFile(config);
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(config.pgliteDir, { recursive: true });
    secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }
  return { ...config, auth: { ...config.auth, devSecret: secret } };
}

/** Where the generated secret lives: beside the PGlite data, whatever the database. */
export const devSecretFile = (config: Pick<Config, 'pgliteDir'>) => join(config.pgliteDir, 'dev-secret');
