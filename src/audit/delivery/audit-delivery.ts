import type { Logger } from 'pino';
import type { AuditDeliveryConfig } from '../../config.js';
import type { Db } from '../../data/database.js';
import { deliveryLag } from './delivery.repository.js';
import { startDeliveryWorker, type DeliveryWorker } from './delivery-worker.js';
import { createHttpSink } from './http-sink.js';
import { createNatsSink } from './nats-sink.js';
import type { AuditSink } from './sink.js';

/** The running push of the trail to the configured SIEM sinks. */
export interface AuditDelivery {
  /** The configured sinks, by name (`nats`, `http`). */
  readonly sinks: readonly string[];
  /**
   * Per sink, the chain head's `seq` minus the last `seq` the sink acknowledged: the
   * events not delivered yet (0 when caught up). Read from the database, so every
   * instance answers it, not only the one delivering (for metrics and alerts).
   */
  deliveryLag(): Promise<Record<string, number>>;
  /** The sinks this instance delivers to right now (it holds their lease). */
  delivering(): string[];
  stop(): Promise<void>;
}

export interface AuditDeliveryOptions {
  config: AuditDeliveryConfig;
  log: Logger;
  /**
   * Opens a handle of the delivery's own on the service's database (never the requests'
   * pool); null on embedded PGlite, where the one connection is shared and the one
   * process delivers without a lease.
   */
  openOwn: ((poolMax: number) => Db) | null;
  /** The service's handle: used only when `openOwn` is null. */
  shared: Db;
}

/** Starts one worker per configured sink; with none configured, does nothing. */
export function startAuditDelivery({ config, log, openOwn, shared }: AuditDeliveryOptions): AuditDelivery {
  const sinks: AuditSink[] = config.sinks.map((name) =>
    name === 'nats' ? createNatsSink(config.nats) : createHttpSink({ ...config.http, url: config.http.url! }, config.format),
  );
  if (sinks.length === 0) return { sinks: [], deliveryLag: async () => ({}), delivering: () => [], stop: async () => {} };
  // One connection per worker (it holds its lease on it while delivering), one for lag.
  const db = openOwn ? openOwn(sinks.length + 1) : shared;
  const workers = new Map<string, DeliveryWorker>(
    sinks.map((sink) => [
      sink.name,
      startDeliveryWorker({ sink, db, lease: openOwn !== null, format: config.format, batchSize: config.batchSize, pollMs: config.pollMs, retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs, leaseRetryMs: config.leaseRetryMs, log }),
    ]),
  );
  log.info({ sinks: config.sinks, format: config.format }, 'audit delivery started');
  return {
    sinks: config.sinks,
    deliveryLag: () => deliveryLag(db, config.sinks),
    delivering: () => [...workers].filter(([, w]) => w.delivering()).map(([name]) => name),
    async stop() {
      await Promise.all([...workers.values()].map((w) => w.stop()));
      if (db !== shared) await db.destroy();
    },
  };
}
