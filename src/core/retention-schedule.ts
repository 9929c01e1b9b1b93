import type { Logger } from 'pino';
import { createAuditWriter } from '../audit/audit-writer.js';
import type { Db } from '../data/database.js';
import type { Policy } from '../policy/load-policy.js';
import { retentionHooks } from './retention-hooks.js';
import { applyRetention, retentionAuditContext, withRetentionLock } from './retention.service.js';

export interface RetentionScheduleOptions {
  policy: Policy;
  log: Logger;
  intervalMs: number;
  batchSize: number;
  /**
   * Opens a handle of the schedule's own (never the requests' pool): it holds the
   * retention lock on its one connection while it runs. Null on embedded PGlite, where
   * the one process shares its one connection and needs no lock.
   */
  openOwn: ((poolMax: number) => Db) | null;
  shared: Db;
  /** What "now" is (tests move it). */
  clock: () => number;
}

export interface RetentionSchedule {
  /** Resolves when the pass under way, if any, has finished (tests). */
  idle(): Promise<void>;
  /** Passes completed since start (tests wait for one). */
  passes(): number;
  stop(): Promise<void>;
}

/**
 * Retention inside the service (RETENTION_INTERVAL): a pass shortly after start-up, then
 * one per interval. Several instances may run it: the retention lock lets one at a time
 * act, and the others skip their pass. A pass that fails is logged and tried again at the
 * next interval; stopping the service ends a pass between two batches.
 */
export function startRetentionSchedule(options: RetentionScheduleOptions): RetentionSchedule {
  const controller = new AbortController();
  const db = options.openOwn ? options.openOwn(1) : options.shared;
  const log = options.log.child({ component: 'retention' });
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let passes = 0;

  const pass = async () => {
    const now = new Date(options.clock());
    const run = (session: Db) =>
      applyRetention({
        db: session,
        model: options.policy.model,
        log: options.log,
        writer: createAuditWriter(session, options.log, { groupCommit: false }),
        audit: retentionAuditContext(options.policy.version, 'schedule'),
        now,
        batchSize: options.batchSize,
        trigger: 'schedule',
        signal: controller.signal,
        onProgress: (line) => log.info({ progress: line }, 'retention progress'),
        ...retentionHooks(options.policy.model),
      });
    try {
      const outcomes = options.openOwn ? await withRetentionLock(db, run) : await run(db);
      if (outcomes === null) log.info('retention: another instance holds the lock; skipping this pass');
      else if (outcomes.some((o) => o.applied + o.held + o.blocked > 0)) log.info({ outcomes }, 'retention applied');
    } catch (err) {
      if (!controller.signal.aborted) log.warn({ code: (err as { code?: string }).code, error: (err as Error).message }, 'retention pass failed; trying again at the next interval');
    } finally {
      passes += 1;
    }
  };

  const schedule = (ms: number) => {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      running = pass().finally(() => {
        running = null;
        schedule(options.intervalMs);
      });
    }, ms);
    timer.unref();
  };
  // The first pass soon after start-up, so a service restarted daily still applies it.
  schedule(Math.min(options.intervalMs, 1_000));
  log.info({ intervalMs: options.intervalMs }, 'retention schedule started');

  return {
    idle: async () => void (await running),
    passes: () => passes,
    async stop() {
      controller.abort();
      if (timer) clearTimeout(timer);
      await running;
      if (db !== options.shared) await db.destroy();
    },
  };
}
