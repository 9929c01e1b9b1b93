import { withDevSecret } from './auth/dev-secret.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { ModelError } from './model/apply-model.js';
import { PolicyError } from './policy/load-policy.js';

/** Hard limit on shutdown; draining gets most of it, closing the pool and PGlite the rest. */
const SHUTDOWN_LIMIT_MS = 10_000;
const DRAIN_LIMIT_MS = 8_000;

/** The only place that listens: configuration, start-up banner, graceful shutdown. */
async function main() {
  const config = withDevSecret(loadConfig());
  const app = await buildApp(config);
  const url = await app.listen({ port: config.port, host: config.host });
  const base = url.replace('0.0.0.0', '127.0.0.1');
  const lines = [
    `fieldguard listening on ${base}`,
    `  database:   ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.pgliteDir}/`}`,
    `  REST docs:  ${base}/docs   (contract: ${base}/openapi.json)`,
  ];
  if (config.nodeEnv !== 'production') lines.push(`  GraphiQL:   ${base}/graphiql`);
  if (config.auth.devSecret) {
    lines.push(
      '  tokens:     npm run token -- --sub alice --role agent',
      '              roles: admin, manager, agent, assistant, auditor',
      `              curl -H "Authorization: Bearer $(npm run -s token -- --sub alice --role agent)" ${base}/v1/customers`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

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
  if (err instanceof ConfigError || err instanceof PolicyError || err instanceof ModelError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`fieldguard failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  }
  process.exit(1);
});
