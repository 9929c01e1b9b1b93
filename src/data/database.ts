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
  /** Called once per SQL statement sent (tests count statements with it). */
  onQuery?: () => void;
}

/** Opens the pool and the kysely instance every repository takes as its first argument. */
export function openDatabase({ url, poolMax, log, onQuery }: DatabaseOptions): Db {
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
    ...(onQuery
      ? {
          log: (event: { level: string }) => {
            if (event.level === 'query') onQuery();
          },
        }
      : {}),
  });
}
