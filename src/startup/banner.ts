import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { StartupStep } from '../data/app-database.js';
import { CONSOLE_DIST, projectFile } from '../paths.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One plain line per start-up step, so a 15 s embedded start-up is never silent; null when a step has nothing to say. */
export function progressLine(step: StartupStep): string | null {
  switch (step.step) {
    case 'database':
      return step.kind === 'embedded'
        ? `database started (embedded PGlite in ${step.dir}/, ${seconds(step.ms)})`
        : `database connected (PostgreSQL at DATABASE_URL, ${seconds(step.ms)})`;
    case 'migrations':
      return step.applied ? `migrations applied (${step.applied}, ${seconds(step.ms)})` : 'migrations: none pending';
    case 'demo-data':
      return step.loaded.customers
        ? `demo data loaded (${step.loaded.customers} customers, ${step.loaded.bookings} bookings, ${step.loaded.documents} documents)`
        : 'demo data: skipped, the database already has customers';
    case 'model': {
      const { steps, drift } = step.plan;
      if (steps.length === 0 && drift.length === 0) return null;
      const applied = steps.length ? `${steps.length} schema step(s) applied` : 'in step';
      return `data model: ${applied}${drift.length ? `; ${drift.length} difference(s) left for a person (npm run model -- plan)` : ''}`;
    }
  }
}

/** Quotes a value for a POSIX shell only when it needs it. */
const shellQuote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`);

/**
 * The token command that works against this very service: `npm run token` reads the
 * dev secret from its own PGLITE_DIR (and puts roles in its own AUTH_ROLES_CLAIM), so
 * whatever differs from a plain `npm run token` run in the project is spelled out.
 * `secretFromEnv`: AUTH_DEV_SECRET was given, which the banner never prints.
 */
export function tokenCommand(config: Config, secretFromEnv: boolean, args: string, silent = false): string {
  const env: string[] = [];
  const dir = resolve(config.pgliteDir);
  if (!secretFromEnv && dir !== projectFile('.data')) env.push(`PGLITE_DIR=${shellQuote(dir)}`);
  if (config.auth.rolesClaim !== 'roles') env.push(`AUTH_ROLES_CLAIM=${shellQuote(config.auth.rolesClaim)}`);
  return [...env, `npm run${silent ? ' -s' : ''} token -- ${args}`].join(' ');
}

/** What the service prints once it listens: where everything is and how to get a token (for the running policy's `roles`). */
export function bannerLines(config: Config, base: string, secretFromEnv: boolean, roles: readonly string[]): string[] {
  const lines = [
    `fieldguard listening on ${base}`,
    `  console:    ${base}/console${existsSync(join(CONSOLE_DIST, 'index.html')) ? '' : '   (not built yet: npm run console:build)'}`,
    `  database:   ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.pgliteDir}/`}`,
    `  REST docs:  ${base}/docs   (contract: ${base}/openapi.json)`,
  ];
  if (config.nodeEnv !== 'production') lines.push(`  GraphiQL:   ${base}/graphiql`);
  if (config.auth.devSecret) {
    const agent = '--sub alice --role agent';
    lines.push(
      `  tokens:     ${tokenCommand(config, secretFromEnv, agent)}`,
      `              roles: ${roles.join(', ')}`,
      `              curl -H "Authorization: Bearer $(${tokenCommand(config, secretFromEnv, agent, true)})" ${base}/v1/customers`,
    );
    if (secretFromEnv) lines.push('              (signed with AUTH_DEV_SECRET: run the token command with the same AUTH_DEV_SECRET set)');
  }
  return lines;
}
