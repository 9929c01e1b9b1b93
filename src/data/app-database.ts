import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openDatabase, type Db } from './database.js';
import { loadDemoData, type DemoCounts } from './demo-data.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { SERVICE_HOLDER, type FolderLock } from './folder-lock.js';
import { migrateToLatest } from './migrate.js';
import { applyModel, checkModel } from '../model/apply-model.js';
import type { Model } from '../model/model.js';
import type { SchemaPlan } from '../model/schema-plan.js';

/** What start-up has done so far: the server prints each as a plain line. */
export type StartupStep =
  | { step: 'database'; kind: 'embedded'; dir: string; ms: number }
  | { step: 'database'; kind: 'postgres'; ms: number }
  | { step: 'migrations'; applied: number; ms: number }
  | { step: 'model'; plan: SchemaPlan }
  | { step: 'demo-data'; loaded: DemoCounts };

export interface AppDatabaseOptions {
  db?: Db | undefined;
  poolMax?: number | undefined;
  onStatement?: ((sql: string) => void) | undefined;
  folderLock?: FolderLock | undefined;
  onProgress?: ((step: StartupStep) => void) | undefined;
  /** The policy's data model, brought about (or, without MIGRATE_ON_START, checked) after the migrations. */
  model: Model;
}

export interface AppDatabase {
  /** The requests' pool. */
  db: Db;
  /** The audit writer's own connection, or `db` itself on one connection. */
  auditDb: Db;
  /** Where a session of its own may LISTEN for announcements; null on embedded PGlite (one process). */
  listenUrl: string | null;
  /**
   * Opens another handle on the same database with the same settings, for work that must
   * not wait on the requests' pool (audit delivery); null on a single connection
   * (PGlite) or a handle given by a caller. The opener closes it.
   */
  openOwn: ((poolMax: number) => Db) | null;
  close(): Promise<void>;
}

/**
 * The service's database, ready for requests: embedded PGlite (its folder locked) or
 * DATABASE_URL, migrated and, where configured, with the demo data. Closes what it
 * opened if any step fails.
 */
export async function openAppDatabase(config: Config, options: AppDatabaseOptions, log: Logger): Promise<AppDatabase> {
  const progress = options.onProgress ?? (() => {});
  let since = performance.now();
  const elapsed = () => Math.round(performance.now() - since);
  const embedded =
    config.databaseUrl || options.db
      ? null
      : await startEmbeddedPostgres(config.pgliteDir, { command: SERVICE_HOLDER, ...(options.folderLock && { lock: options.folderLock }) });
  if (embedded) progress({ step: 'database', kind: 'embedded', dir: config.pgliteDir, ms: elapsed() });
  const connection = {
    url: config.databaseUrl ?? embedded?.url ?? '',
    connectTimeoutMs: config.database.connectTimeoutMs,
    statementTimeoutMs: config.database.statementTimeoutMs,
    preparedStatements: config.database.preparedStatements && !embedded,
    log,
    ...(options.onStatement ? { onStatement: options.onStatement } : {}),
  };
  const poolMax = options.poolMax ?? (embedded ? 1 : config.database.poolMax);
  const db = options.db ?? openDatabase({ ...connection, poolMax });
  // The audit writer appends on a connection of its own: in the shared pool its batch
  // queued behind the reads of the very requests waiting for it. Not on a single
  // connection (PGlite) or a handle given by a caller.
  const auditDb = options.db || poolMax === 1 ? db : openDatabase({ ...connection, poolMax: 1 });
  const close = async () => {
    if (auditDb !== db) await auditDb.destroy();
    await db.destroy();
    await embedded?.stop();
  };
  try {
    if (!embedded && !options.db && (config.migrateOnStart || config.demoData)) {
      since = performance.now();
      await sql`select 1`.execute(db); // the steps below need it: say so before they run
      progress({ step: 'database', kind: 'postgres', ms: elapsed() });
    }
    if (config.migrateOnStart) {
      since = performance.now();
      progress({ step: 'migrations', applied: (await migrateToLatest(db)).length, ms: elapsed() });
    }
    // Our own tables first, then the model's; without the right to change the schema,
    // only check that nothing the model needs is missing.
    progress({ step: 'model', plan: config.migrateOnStart ? await applyModel(db, options.model) : await checkModel(db, options.model) });
    if (config.demoData) progress({ step: 'demo-data', loaded: await loadDemoData(db) });
  } catch (err) {
    await close();
    throw err;
  }
  // One connection (PGlite, embedded or behind its socket) is one session for everyone.
  const ownConnections = !embedded && !options.db && connection.url !== '' && poolMax > 1;
  return {
    db,
    auditDb,
    listenUrl: embedded || !connection.url ? null : connection.url,
    openOwn: ownConnections ? (max: number) => openDatabase({ ...connection, poolMax: max }) : null,
    close,
  };
}
