import { pino } from 'pino';
import type { Config } from '../config.js';
import { openDatabase, type Db } from '../data/database.js';
import { startEmbeddedPostgres } from '../data/embedded-postgres.js';

/**
 * Opens DATABASE_URL, or the PGlite folder, for a command-line tool; `close` undoes it.
 * The folder is locked while the tool runs, and a folder a running service holds is
 * never opened: that throws FolderInUseError naming the service, and the caller either
 * asks the service over HTTP or refuses (see running-service.ts).
 */
export async function openCliDatabase(config: Config, command: string): Promise<{ db: Db; close(): Promise<void> }> {
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.pgliteDir, { command });
  const db = openDatabase({
    url: config.databaseUrl ?? embedded!.url,
    poolMax: 1,
    preparedStatements: config.database.preparedStatements && !embedded,
    log: pino({ level: 'warn' }),
  });
  return {
    db,
    async close() {
      await db.destroy();
      await embedded?.stop();
    },
  };
}
