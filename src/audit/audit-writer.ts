import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import type { Log } from '../log.js';
import { CHAIN_LOCK_KEY, chainHash, GENESIS_HASH, type ChainedContent } from './chain.js';

/** An audit row before the chain gives it a position and hashes. */
export type PendingAuditRow = Omit<ChainedContent, 'seq' | 'prevHash'>;

export interface AuditWriter {
  /**
   * Appends a row and resolves once it is committed, or, given a transaction, once it
   * is part of it (it then commits or rolls back with the caller's own writes).
   */
  write(row: PendingAuditRow, trx?: Db): Promise<void>;
}

export interface AuditWriterOptions {
  /** Batch concurrent rows into one transaction and one INSERT (group commit). */
  groupCommit: boolean;
  maxBatch?: number;
}

/** Appends rows to the chain inside `trx`, holding the chain lock until it ends. */
export async function appendToChain(trx: Db, rows: PendingAuditRow[]): Promise<void> {
  await sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`.execute(trx);
  const head = await trx.selectFrom('auditEvents').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let seq = head ? BigInt(head.seq) : 0n;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const chained = rows.map((row) => {
    seq += 1n;
    const content: ChainedContent = { ...row, seq: seq.toString(), prevHash };
    const hash = chainHash(content);
    prevHash = hash;
    return columnsOf(content, hash);
  });
  // A batch goes as one JSON parameter, not 24 parameters per row: PostgreSQL parses a
  // short statement instead of a VALUES list of thousands of placeholders, and no query
  // builder walks it. jsonb_populate_recordset maps keys to columns by name.
  await sql`insert into audit_events select * from jsonb_populate_recordset(null::audit_events, ${JSON.stringify(chained)}::jsonb)`.execute(trx);
}

/** The row under its column names; the timestamp keeps its milliseconds, as hashed. */
const columnsOf = (row: ChainedContent, hash: string) => ({
  seq: row.seq,
  event_id: row.eventId,
  occurred_at: row.occurredAt.toISOString(),
  actor_sub: row.actorSub ?? null,
  actor_roles: row.actorRoles ?? [],
  actor_token_id: row.actorTokenId ?? null,
  channel: row.channel,
  action: row.action,
  resource_type: row.resourceType,
  resource_ids: row.resourceIds ?? [],
  fields_clear: row.fieldsClear ?? [],
  fields_masked: row.fieldsMasked ?? [],
  fields_withheld: row.fieldsWithheld ?? [],
  fields_written: row.fieldsWritten ?? [],
  outcome: row.outcome,
  reason: row.reason ?? null,
  request_id: row.requestId ?? null,
  purpose: row.purpose ?? null,
  client_ip: row.clientIp ?? null,
  user_agent: row.userAgent ?? null,
  policy_version: row.policyVersion,
  details: row.details ?? null,
  prev_hash: row.prevHash,
  hash,
});

/**
 * The audit writer of one service instance. With group commit, rows that arrive while
 * a flush is running wait for the next one, so under load one transaction carries
 * many rows and the chain lock is taken once per batch, not once per request. Each
 * caller still waits for the commit of the batch holding its own row.
 */
export function createAuditWriter(db: Db, log: Log, options: AuditWriterOptions): AuditWriter {
  const maxBatch = options.maxBatch ?? 500;
  const queue: Array<{ row: PendingAuditRow; resolve: () => void; reject: (err: unknown) => void }> = [];
  let flushing = false;

  async function flush() {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      try {
        await db.transaction().execute((trx) => appendToChain(trx, batch.map((b) => b.row)));
        for (const b of batch) b.resolve();
      } catch (err) {
        log.error({ err: { code: (err as { code?: string }).code, type: (err as Error).name }, rows: batch.length }, 'audit batch failed');
        // One bad row must not fail its neighbours' requests: retry each on its own.
        if (batch.length === 1) batch[0]!.reject(err);
        else for (const b of batch) await db.transaction().execute((trx) => appendToChain(trx, [b.row])).then(b.resolve, b.reject);
      }
    }
    flushing = false;
  }

  return {
    write(row, trx) {
      if (trx) return appendToChain(trx, [row]);
      if (!options.groupCommit) return db.transaction().execute((t) => appendToChain(t, [row]));
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        if (!flushing) {
          flushing = true;
          void flush();
        }
      });
    },
  };
}
