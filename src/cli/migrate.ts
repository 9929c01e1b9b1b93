import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { openDatabase } from '../data/database.js';
import { startEmbeddedPostgres } from '../data/embedded-postgres.js';
import { migrateToLatest } from '../data/migrate.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the PGlite folder. */
async function main() {
  const config = loadConfig();
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.pgliteDir);
  const db = openDatabase({ url: config.databaseUrl ?? embedded!.url, poolMax: 1, log: pino({ level: 'warn' }) });
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
