import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { withDevSecret } from './auth/dev-secret.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { acquireFolderLock, FolderInUseError, SERVICE_HOLDER, type FolderLock } from './data/folder-lock.js';
import { bannerLines, progressLine } from './startup/banner.js';
import { portError, reservePort, type PortReservation } from './startup/port.js';
import { StartupError } from './startup/startup-error.js';

/** Hard limit on shutdown; draining gets most of it, closing the pool and PGlite the rest. */
const SHUTDOWN_LIMIT_MS = 10_000;
const DRAIN_LIMIT_MS = 8_000;

/** Start-up talks to people in plain lines on stdout, the banner's stream; pino keeps JSON for logs. */
const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The only place that listens. The quick refusals come first (configuration, a PGlite
 * folder another process holds, a taken port), before the service's modules are even
 * loaded; then PGlite, migrations and demo data, each announced as it completes.
 */
async function main() {
  const given = loadConfig();
  const config = withDevSecret(given);
  const lock = config.databaseUrl ? null : takeFolder(config);
  let port: PortReservation | undefined;
  let app: FastifyInstance | undefined;
  try {
    port = await reservePort(config.host, config.port);
    say(`fieldguard: starting (${startingWhat(config)})`);
    const { buildApp } = await import('./app.js');
    app = await buildApp(config, { ...(lock && { folderLock: lock }), onProgress: (step) => {
      const line = progressLine(step);
      if (line) say(`fieldguard: ${line}`);
    } });
    await port.release();
    const url = await listenQuietly(app, config);
    const base = url.replace('0.0.0.0', '127.0.0.1');
    lock?.advertise(base); // from now on the CLI asks this service instead of opening the folder
    // performance.now() counts from the process's start: node and tsx included, as the user waited.
    say(`fieldguard: ready in ${(performance.now() / 1000).toFixed(1)} s`);
    say(bannerLines(config, base, given.auth.devSecret !== undefined, [...app.policyStore.current.policy.roles.keys()]).join('\n'));
    handleSignals(app);
  } catch (err) {
    await port?.release();
    await app?.close().catch(() => {}); // PGlite closed cleanly (and its folder freed) when listen lost a race for the port
    lock?.release();
    throw err;
  }
}

function startingWhat(config: Config): string {
  const port = config.port ? `port ${config.port}` : 'any free port';
  if (config.databaseUrl) return `${port}, PostgreSQL at DATABASE_URL`;
  // PGlite creates a new database in a few seconds on a fast machine, 15 or more on a slow one: say why it is quiet.
  const fresh = !existsSync(join(config.pgliteDir, 'PG_VERSION'));
  return `${port}, embedded PGlite in ${config.pgliteDir}/${fresh ? ', creating a new database: the first start takes longest' : ''}`;
}

function takeFolder(config: Config): FolderLock {
  try {
    return acquireFolderLock(config.pgliteDir, SERVICE_HOLDER);
  } catch (err) {
    if (!(err instanceof FolderInUseError)) throw err;
    // Two processes on one PGlite folder each keep their own copy: the audit chain forks.
    throw new StartupError(
      `${err.message}. Stop that one first, or give this one a folder of its own: PGLITE_DIR=${config.pgliteDir.replace(/\/+$/, '')}-2 npm start ${err.staleHint}`,
    );
  }
}

/**
 * fastify logs "Server listening at ..." as JSON at info, in the middle of the plain
 * start-up lines; the banner says it already. Raised to warn only while listening, so
 * nothing else is lost (no request is served before listen resolves), and never lowered.
 */
async function listenQuietly(app: FastifyInstance, config: Config): Promise<string> {
  const level = app.log.level;
  if (['trace', 'debug', 'info'].includes(level)) app.log.level = 'warn';
  try {
    return await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    throw portError(err as NodeJS.ErrnoException, config.host, config.port); // lost a race for the port after all
  } finally {
    app.log.level = level;
  }
}

function handleSignals(app: FastifyInstance) {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Let in-flight requests finish (and their audit rows commit), but never hang: new
    // requests get 503 meanwhile, and whatever is still running after 10 s is cut off.
    setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS).unref();
    app
      .drain(DRAIN_LIMIT_MS)
      .then(() => app.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  // SIGHUP reloads the policy file; an invalid file is refused and the old policy stays.
  process.on('SIGHUP', () => {
    try {
      const { previous, current } = app.policyStore.reload();
      app.log.info({ previous, current }, 'policy reloaded on SIGHUP');
    } catch (err) {
      app.log.error({ problems: (err as { problems?: string[] }).problems ?? [(err as Error).message] }, 'policy reload refused; keeping the running policy');
    }
  });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Refusals the operator can act on are one line (a policy lists each problem); anything else says it failed.
  const plain = err instanceof ConfigError || ['PolicyError', 'ModelError'].includes((err as Error)?.name);
  const message = (err as Error)?.message ?? String(err);
  process.stderr.write(plain ? `${message}\n` : err instanceof StartupError ? `fieldguard cannot start: ${message}\n` : `fieldguard failed to start: ${message}\n`);
  process.exit(1);
});
