import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { withSchemaSession } from './schema-session.js';

/**
 * Applies every pending migration, without the request statement timeout (see
 * schema-session.ts); throws with the failing migration's name. `set` is for tests.
 */
export async function migrateToLatest(db: Kysely<any>, set: Record<string, Migration> = migrations): Promise<string[]> {
  const { error, results }: MigrationResultSet = await withSchemaSession(db, (session) =>
    new Migrator({ db: session, provider: { getMigrations: async () => set } }).migrateToLatest(),
  );
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${detail}`);
  }
  return (results ?? []).map((r) => r.migrationName);
}

/** The migrations not yet applied (`npm run model -- plan` waits for them). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
