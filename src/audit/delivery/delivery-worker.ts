import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../../data/database.js';
import type { AuditEventRow } from '../../data/audit-event.table.js';
import { toAuditEvent } from '../audit.repository.js';
import { renderAuditEvent, type EventFormat } from '../formats/render.js';
import { backoffMs } from './backoff.js';
import { advancePosition, chainHead, readEventsAfter, readPosition, recordFailure } from './delivery.repository.js';
import { SinkError, type AuditSink, type OutgoingEvent } from './sink.js';

export interface DeliveryWorkerOptions {
  sink: AuditSink;
  /** The worker's own handle (a pool of its own: never the requests'), or the one PGlite connection. */
  db: Db;
  /**
   * Take the sink's lease before delivering: a session advisory lock held on the
   * connection the worker reads and advances on. Off on embedded PGlite (one process).
   */
  lease: boolean;
  format: EventFormat;
  batchSize: number;
  pollMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  leaseRetryMs: number;
  log: Logger;
}

export interface DeliveryWorker {
  /** Whether this instance holds the sink's lease and delivers right now. */
  delivering(): boolean;
  /** Stops at the next step: an unacknowledged send is abandoned (sent again later), never counted. */
  stop(): Promise<void>;
}

// Session-level advisory locks, (class, key): 7201 is the read budget's; one key per sink.
const LEASE_CLASS = 7202;

/**
 * Pushes the trail to one sink, in chain order, at least once. Reads batches after the
 * stored position, sends, and advances the position only once the sink acknowledged;
 * a failed send is retried with capped, jittered exponential backoff. Runs beside the
 * requests and never in their way: when the sink is down, delivery lags and catches up.
 *
 * With a lease, only the instance holding the sink's advisory lock delivers. The lock
 * belongs to the session, so when the holder dies (or its connection does) the server
 * releases it and another instance, trying every `leaseRetryMs`, takes over from the
 * stored position. Positions are advanced on that same session: a deliverer that lost
 * its lock can no longer move the position.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { sink, db, log } = options;
  const stopping = new AbortController();
  const signal = stopping.signal;
  let holding = false;
  const pause = (ms: number) => sleep(ms, undefined, { signal }).catch(() => undefined);
  const logContext = { sink: sink.name };

  const deliver = async (session: Db) => {
    let position = await readPosition(session, sink.name);
    const head = await chainHead(session);
    // A trail restored from an older backup: events appended from here on reuse positions
    // the sink already has, and would not be sent until the trail grows past it.
    if (BigInt(position) > BigInt(head)) log.warn({ ...logContext, position, head }, 'audit delivery position is past the end of the trail; set audit_delivery.last_seq to where the sink really is');
    let failures = 0;
    while (!signal.aborted) {
      const rows = await readEventsAfter(session, position, options.batchSize);
      if (rows.length === 0) {
        await pause(options.pollMs);
        continue;
      }
      const events = rows.map((row) => outgoing(row, options.format));
      try {
        await sink.send(events, signal);
        position = events[events.length - 1]!.seq;
        await advancePosition(session, sink.name, position);
        if (failures > 0) log.info({ ...logContext, failures }, 'audit delivery recovered');
        failures = 0;
      } catch (err) {
        if (!(err instanceof SinkError)) throw err;
        if (err.acknowledged > 0) {
          position = events[err.acknowledged - 1]!.seq;
          await advancePosition(session, sink.name, position);
        }
        if (signal.aborted) break;
        failures += 1;
        const wait = backoffMs(failures, options.retryMinMs, options.retryMaxMs);
        log.warn({ ...logContext, error: err.message, failures, retryInMs: wait }, 'audit delivery failed; retrying');
        await recordFailure(session, sink.name, err.message);
        await pause(wait);
      }
    }
  };

  const leased = async (session: Db) => {
    const key = sql`${LEASE_CLASS}::int, hashtext(${`audit-delivery:${sink.name}`})`;
    const got = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(session);
    if (!got.rows[0]?.locked) return false;
    holding = true;
    log.info(logContext, 'audit delivery: this instance holds the lease and delivers');
    try {
      await deliver(session);
    } finally {
      holding = false;
      // Stopping: hand over at once rather than when the connection closes.
      await sql`select pg_advisory_unlock(${key})`.execute(session).catch(() => undefined);
    }
    return true;
  };

  // One process on one session (PGlite): nobody to exclude.
  const unleased = async () => {
    holding = true;
    try {
      await deliver(db);
    } finally {
      holding = false;
    }
    return true;
  };

  const run = async () => {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const delivered = options.lease ? await db.connection().execute(leased) : await unleased();
        failures = 0;
        if (!delivered) await pause(options.leaseRetryMs);
      } catch (err) {
        // The database (or this worker's connection to it) failed: the lease, if held, is
        // gone with the session; start over from the stored position.
        if (signal.aborted) break;
        failures += 1;
        const wait = backoffMs(failures, options.retryMinMs, options.retryMaxMs);
        log.warn({ ...logContext, code: (err as { code?: string }).code, error: (err as Error).message, retryInMs: wait }, 'audit delivery interrupted; retrying');
        await pause(wait);
      }
    }
  };

  const running = run();
  return {
    delivering: () => holding,
    async stop() {
      stopping.abort();
      // Closing the sink fails a send waiting for an ack (NATS) at once.
      await sink.close();
      await running;
      await sink.close();
    },
  };
}

function outgoing(row: AuditEventRow, format: EventFormat): OutgoingEvent {
  const event = toAuditEvent(row);
  return { seq: event.seq, eventId: event.eventId, action: event.action, occurredAt: event.occurredAt, json: JSON.stringify(renderAuditEvent(format, event)) };
}
