import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import { prepareOnEachConnection } from '../data/prepared-statements.js';
import type { Log } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import { pendingContentObject, segmentsOf, type PendingContent } from './chain.js';

/** An audit row before the chain gives it a position and hashes. */
export type PendingAuditRow = PendingContent;

export interface AuditWriter {
  /**
   * Appends a row and resolves once it is committed, or, given a transaction, once it
   * is part of it (it then commits or rolls back with the caller's own writes).
   */
  write(row: PendingAuditRow, trx?: Db): Promise<void>;
  /** Several rows in this order, in one statement of the caller's transaction. */
  writeAll(rows: PendingAuditRow[], trx: Db): Promise<void>;
}

/** What the writer reports: batch sizes, commit latency, and each decision appended. */
export type AuditMetrics = Pick<Metrics, 'auditBatch' | 'auditBatchFailed' | 'decision'>;

export interface AuditWriterOptions {
  /** Batch concurrent rows into one statement and one commit (group commit). */
  groupCommit: boolean;
  maxBatch?: number;
  metrics?: AuditMetrics;
}

/**
 * Appends rows to the chain in one statement (one round trip): the database takes the
 * chain lock, reads the head and computes each row's position and hash from the content
 * cut in three by contentSegments (see the migration defining the function). Inside a
 * caller's transaction the lock is held until that transaction ends.
 */
export async function appendToChain(db: Db, rows: PendingAuditRow[]): Promise<void> {
  const { contents, segments } = batchParameters(rows);
  const query = sql`select fieldguard_append_audit(${contents}::jsonb, ${segments}::jsonb)`.compile(db);
  // Every batch runs it: prepared once per connection.
  prepareOnEachConnection(query.sql);
  await db.executeQuery(query);
}

/**
 * The statement's two parameters: each row under its column names, exactly the values
 * its hash covers (contentObject, so an ISO timestamp with milliseconds) without the
 * chain position the database adds; and each row's content cut where that position
 * goes. Both from one content object per row: every request appends a row.
 */
export function batchParameters(rows: PendingAuditRow[]): { contents: string; segments: string } {
  const contents: Array<Record<string, unknown>> = [];
  const segments: string[] = [];
  for (const row of rows) {
    const values = pendingContentObject(row);
    const columns: Record<string, unknown> = {};
    for (const [key, column] of COLUMNS) columns[column] = values[key];
    contents.push(columns);
    segments.push(...segmentsOf(values));
  }
  return { contents: JSON.stringify(contents), segments: JSON.stringify(segments) };
}

/** Each content key but the chain position, with its column name (eventId -> event_id). */
const COLUMNS: Array<[string, string]> = Object.keys(pendingContentObject({ occurredAt: new Date(0) } as PendingAuditRow))
  .filter((key) => key !== 'seq' && key !== 'prevHash')
  .map((key) => [key, key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]);

/**
 * Whether a failed append may be the fault of one row in it: a data exception (class 22)
 * or an integrity violation (class 23). Anything else (a cancelled statement, a lock or
 * connection failure, no SQLSTATE at all) would fail each row again.
 */
export function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * The audit writer of one service instance. With group commit, rows that arrive while
 * an append is running wait for the next one, so under load one statement carries many
 * rows and the chain lock is taken once per batch, not once per request. Each caller
 * still waits for the commit of the batch holding its own row.
 */
export function createAuditWriter(db: Db, log: Log, options: AuditWriterOptions): AuditWriter {
  const maxBatch = options.maxBatch ?? 500;
  const metrics = options.metrics;
  // Counted once appended: a decision that never reached the trail never left either.
  const counted = (rows: PendingAuditRow[]) => () => {
    if (metrics) for (const row of rows) metrics.decision(row);
  };
  /** One commit of our own (not a caller's transaction): its size and latency are the group commit's. */
  const commit = async (rows: PendingAuditRow[]) => {
    const started = performance.now();
    try {
      await appendToChain(db, rows);
    } catch (err) {
      metrics?.auditBatchFailed();
      throw err;
    }
    metrics?.auditBatch(rows.length, (performance.now() - started) / 1000);
    counted(rows)();
  };
  const queue: Array<{ row: PendingAuditRow; resolve: () => void; reject: (err: unknown) => void }> = [];
  let flushing = false;

  async function flush() {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      try {
        await commit(batch.map((b) => b.row));
        for (const b of batch) b.resolve();
      } catch (err) {
        log.error({ err: { code: (err as { code?: string }).code, type: (err as Error).name }, rows: batch.length }, 'audit batch failed');
        // One bad row must not fail its neighbours' requests: retry each on its own. But
        // a chain that cannot be appended to at all (lock held, timeout, connection lost)
        // fails the whole batch at once: retrying row by row would make the last caller
        // wait one statement timeout per neighbour before its 503.
        if (batch.length === 1 || !isRowError(err)) for (const b of batch) b.reject(err);
        else for (const b of batch) await commit([b.row]).then(b.resolve, b.reject);
      }
    }
    flushing = false;
  }

  return {
    write(row, trx) {
      if (trx) return appendToChain(trx, [row]).then(counted([row]));
      if (!options.groupCommit) return commit([row]);
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        if (!flushing) {
          flushing = true;
          void flush();
        }
      });
    },
    writeAll(rows, trx) {
      return appendToChain(trx, rows).then(counted(rows));
    },
  };
}
