import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { BaseLogger } from 'pino';
import type { AuditDeliveryTable } from './audit-delivery.table.js';
import type { AuditEventTable } from './audit-event.table.js';
import type { BookingTable } from './booking.table.js';
import type { CustomerTable } from './customer.table.js';
import type { DocumentChunkTable, DocumentTable } from './document.table.js';
import { PreparingClient } from './prepared-statements.js';
import type { PrincipalStatusTable } from './principal-status.repository.js';
import type { ServiceKeyTable } from './service-keys.js';

export interface Database {
  customers: CustomerTable;
  bookings: BookingTable;
  documents: DocumentTable;
  documentChunks: DocumentChunkTable;
  auditEvents: AuditEventTable;
  auditDelivery: AuditDeliveryTable;
  serviceKeys: ServiceKeyTable;
  principalStatus: PrincipalStatusTable;
}

export type Db = Kysely<Database>;

/** The pg pool behind each handle openDatabase made: kysely keeps it private, metrics read its counts. */
const pools = new WeakMap<Db, pg.Pool>();

/** The pool a handle of openDatabase runs on; undefined for a handle made elsewhere. */
export const poolOf = (db: Db): pg.Pool | undefined => pools.get(db);

export interface DatabaseOptions {
  url: string;
  /** PGlite serves one connection at a time, so embedded mode uses a pool of one. */
  poolMax: number;
  log: BaseLogger;
  /** Longest wait for a connection, new or from a busy pool (default 5 s). */
  connectTimeoutMs?: number;
  /** Longest a statement may run before the server cancels it (default 15 s). */
  statementTimeoutMs?: number;
  /** Called with each statement's SQL text (never its parameters): tests count statements. */
  onStatement?: (sql: string) => void;
  /**
   * Run the statements marked in prepared-statements.ts as named ones (default on). Off
   * where sessions are not one connection's own: PGlite (every socket shares its one
   * backend, so a name prepared by one client already exists for the next) and poolers
   * in transaction mode.
   */
  preparedStatements?: boolean;
}

/** Opens the pool and the kysely instance every repository takes as its first argument. */
export function openDatabase({ url, poolMax, log, connectTimeoutMs = 5_000, statementTimeoutMs = 15_000, onStatement, preparedStatements = true }: DatabaseOptions): Db {
  const pool = new pg.Pool({
    Client: preparedStatements ? PreparingClient : pg.Client,
    connectionString: url,
    max: poolMax,
    // A stuck, exhausted or unreachable database must turn into a 503 quickly, never a hang.
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // A transaction left waiting (an upload whose client stalls) is ended by the server.
    idle_in_transaction_session_timeout: 30_000,
    idleTimeoutMillis: 30_000,
    // Lets operators (and the fault tests) tell our sessions apart in pg_stat_activity.
    application_name: 'fieldguard',
  });
  // An idle client losing its server emits 'error' on the pool; unhandled it kills the process.
  pool.on('error', (err) => log.warn({ code: (err as { code?: string }).code }, 'idle database connection lost'));
  // A checked-out client has no pool listener: if its server goes away between two
  // statements of a transaction, pg emits 'error' on the client itself, which would
  // crash the process. The statement in progress (or the next one) fails and the
  // request gets a 503; the pool drops the broken client on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => log.debug({ code: (err as { code?: string }).code }, 'database connection lost'));
  });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool, cursor: Cursor }),
    plugins: [new CamelCasePlugin()],
    ...(onStatement ? { log: (event) => onStatement(event.query.sql) } : {}),
  });
  pools.set(db, pool);
  return db;
}
