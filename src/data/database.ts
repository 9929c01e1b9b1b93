import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { BaseLogger } from 'pino';
import type { AuditEventTable } from './audit-event.table.js';
import type { CustomerTable } from './customer.table.js';

export interface Database {
  customers: CustomerTable;
  auditEvents: AuditEventTable;
}

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  url: string;
  /** PGlite serves one connection at a time, so embedded mode uses a pool of one. */
  poolMax: number;
  log: BaseLogger;
}

/** Opens the pool and the kysely instance every repository takes as its first argument. */
export function openDatabase({ url, poolMax, log }: DatabaseOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    // A stuck or unreachable database must turn into a 503 quickly, never a hang.
    connectionTimeoutMillis: 5_000,
    statement_timeout: 15_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server emits 'error' on the pool; unhandled it kills the process.
  pool.on('error', (err) => log.warn({ code: (err as { code?: string }).code }, 'idle database connection lost'));
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool, cursor: Cursor }),
    plugins: [new CamelCasePlugin()],
  });
}
