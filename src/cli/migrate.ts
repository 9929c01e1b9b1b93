import { loadConfig } from '../config.js';
import { migrateToLatest } from '../data/migrate.js';
import { openCliDatabase } from './cli-database.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the PGlite folder. */
async function main() {
  const { db, close } = await openCliDatabase(loadConfig());
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
  } finally {
    await close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
