import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { BaseLogger } from 'pino';
import type { AuditEventTable } from './audit-event.table.js';
import type { BookingTable } from './booking.table.js';
import type { CustomerTable } from './customer.table.js';
import type { DocumentTable } from './document.table.js';

export interface Database {
  customers: CustomerTable;
  bookings: BookingTable;
  documents: DocumentTable;
  auditEvents: AuditEventTable;
}

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  url: string;
  /** PGlite serves one connection at a time, so embedded mode uses a pool of one. */
  poolMax: number;
  log: BaseLogger;
  /** DB_STATEMENT_TIMEOUT_MS and DB_CONNECTION_TIMEOUT_MS; defaults 15 s and 5 s. */
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Called with each statement's SQL text (never its parameters): tests count statements. */
  onStatement?: (sql: string) => void;
}

/** Opens the pool and the kysely instance every repository takes as its first argument. */
export function openDatabase({ url, poolMax, log, statementTimeoutMs, connectionTimeoutMs, onStatement }: DatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    // A stuck or unreachable database must turn into a 503 quickly, never a hang.
    connectionTimeoutMillis: connectionTimeoutMs ?? 5_000,
    statement_timeout: statementTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server emits 'error' on the pool; unhandled it kills the process.
  pool.on('error', (err) => log.warn({ code: (err as { code?: string }).code }, 'idle database connection lost'));
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool, cursor: Cursor }),
    plugins: [new CamelCasePlugin()],
    ...(onStatement ? { log: (event) => onStatement(event.query.sql) } : {}),
  });
}
