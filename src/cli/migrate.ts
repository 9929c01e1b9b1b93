import { loadConfig } from '../config.js';
import { FolderInUseError } from '../data/folder-lock.js';
import { migrateToLatest } from '../data/migrate.js';
import { openCliDatabase } from './cli-database.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the PGlite folder. */
async function main() {
  const { db, close } = await openCliDatabase(loadConfig(), 'npm run migrate').catch((err: unknown) => {
    // No HTTP detour here: migrating under a running instance is the service's own job
    // at start-up (MIGRATE_ON_START), and a second opener would fork the folder.
    if (err instanceof FolderInUseError) {
      throw new Error(`npm run migrate: refused: ${err.message}. Stop it first (it applies pending migrations itself when it starts) ${err.staleHint}`, {
        cause: err,
      });
    }
    throw err;
  });
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
