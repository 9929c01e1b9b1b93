import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LabelBound } from './bounded-label.js';

/** Events each audit sink still has to deliver, by sink name; read on every scrape. */
export type DeliveryLagSource = () => Record<string, number> | Promise<Record<string, number>>;

/** What pg.Pool tells about itself (on embedded PGlite too: the same pool over a socket). */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** The part of an audit row the metrics count: names from code and the model, never ids or subjects. */
export interface DecisionFacts {
  action: string;
  resourceType: string;
  outcome: string;
  channel: string;
  fieldsMasked: readonly string[];
  fieldsWithheld: readonly string[];
}

/** Why a credential was refused: a small fixed set, never token content. */
export type AuthFailureReason = 'missing' | 'invalid' | 'disabled' | 'unavailable' | 'throttled';

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_ROWS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/**
 * The metrics of one service instance, on a registry of its own (tests run several apps
 * in one process; prom-client's global registry would collide). Hot paths only bump
 * counters through children cached by label values; gauges that describe state (pools,
 * chain head, delivery lag) are read when Prometheus scrapes, not kept up to date.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly histograms = new Map<string, { observe(value: number): void }>();
  private readonly bound = new LabelBound();
  private deliveryLag: DeliveryLagSource | null = null;
  private delivering: { configured: readonly string[]; now: () => readonly string[] } | null = null;
  private chainHead: (() => Promise<number | null>) | null = null;
  private readonly pools = new Map<string, PoolStats>();

  private readonly requests = this.counterOf('fieldguard_http_requests_total', 'HTTP requests answered, by method, route pattern and status code.', ['method', 'route', 'status']);
  private readonly duration = this.histogramOf('fieldguard_http_request_duration_seconds', 'Time to answer an HTTP request, by method and route pattern.', SECONDS, ['method', 'route']);
  private readonly decisions = this.counterOf('fieldguard_audit_decisions_total', 'Access decisions appended to the audit trail, by action, resource type, outcome and channel.', ['action', 'resource_type', 'outcome', 'channel']);
  private readonly masked = this.counterOf('fieldguard_fields_masked_total', 'Allowed decisions that served a field masked, by resource type and field.', ['resource_type', 'field']);
  private readonly withheld = this.counterOf('fieldguard_fields_withheld_total', 'Allowed decisions that withheld a field, by resource type and field.', ['resource_type', 'field']);
  private readonly batchRows = this.histogramOf('fieldguard_audit_batch_rows', 'Audit rows appended per batch (group commit).', BATCH_ROWS);
  private readonly commitSeconds = this.histogramOf('fieldguard_audit_commit_seconds', 'Time to append and commit one audit batch.', SECONDS);
  private readonly batchFailures = this.counterOf('fieldguard_audit_batch_failures_total', 'Audit batches the database refused (callers got 503 unless a retry row by row succeeded).');
  private readonly budgetRefusals = this.counterOf('fieldguard_read_budget_refusals_total', 'Requests refused with 429 BUDGET_EXCEEDED, by resource type.', ['resource_type']);
  private readonly authFailures = this.counterOf('fieldguard_auth_failures_total', 'Requests refused at authentication, by reason (missing, invalid, disabled, unavailable, throttled).', ['reason']);
  private readonly disabledRefusals = this.counterOf('fieldguard_principal_disabled_refusals_total', 'Requests and exports refused because their person or token is disabled (PRINCIPAL_DISABLED).');

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // Process CPU, memory, event loop lag and GC, under their standard names.
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const pool = (name: string, help: string, stat: (s: PoolStats) => number) =>
      this.gaugeOf(name, help, ['pool'], (gauge) => {
        for (const [label, stats] of this.pools) gauge.set({ pool: label }, stat(stats));
      });
    pool('fieldguard_db_pool_connections', 'Connections the pool holds open (busy and idle).', (s) => s.totalCount);
    pool('fieldguard_db_pool_idle_connections', 'Open connections waiting for work.', (s) => s.idleCount);
    pool('fieldguard_db_pool_waiting_requests', 'Callers waiting for a connection of an exhausted pool.', (s) => s.waitingCount);
    // The head only grows: when it cannot be read (database down), the last value read stays.
    this.gaugeOf('fieldguard_audit_chain_head_seq', 'Position of the newest row of the audit chain (shared by every instance), as last read.', [], async (gauge) => {
      const seq = this.chainHead ? await this.chainHead().catch(() => null) : null;
      if (seq !== null) gauge.set(seq);
    });
    this.gaugeOf('fieldguard_audit_delivery_lag_events', 'Audit events each delivery sink has yet to deliver.', ['sink'], async (gauge) => {
      gauge.reset();
      const source = this.deliveryLag;
      // A failing source leaves the gauge out of this scrape rather than failing it.
      const lags: Record<string, number> = source ? await Promise.resolve().then(source).catch(() => ({})) : {};
      for (const [sink, events] of Object.entries(lags)) gauge.set({ sink: this.bound.value('sink', sink) }, events);
    });
    // Across instances the sum per sink is 1 while delivery runs: exactly one holds the lease.
    this.gaugeOf('fieldguard_audit_delivery_worker', 'Whether this instance is the one delivering to each sink (1: it holds the lease), else 0.', ['sink'], (gauge) => {
      const source = this.delivering;
      if (!source) return;
      const now = new Set(source.now());
      for (const sink of source.configured) gauge.set({ sink: this.bound.value('sink', sink) }, now.has(sink) ? 1 : 0);
    });
  }

  /** One answered request; `route` is the pattern (`/v1/customers/:id`), never the URL. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.counter(this.requests, `r ${method} ${route} ${status}`, [method, route, String(status)]).inc();
    let histogram = this.histograms.get(`${method} ${route}`);
    if (!histogram) this.histograms.set(`${method} ${route}`, (histogram = this.duration.labels(method, route)));
    histogram.observe(seconds);
  }

  /** One audit row appended (committed, or part of the caller's transaction). */
  decision(row: DecisionFacts): void {
    const type = this.bound.value('resource_type', row.resourceType);
    const action = this.bound.value('action', row.action);
    this.counter(this.decisions, `a ${action} ${type} ${row.outcome} ${row.channel}`, [action, type, row.outcome, row.channel]).inc();
    if (row.outcome !== 'allowed') return;
    for (const field of row.fieldsMasked) this.fieldCounter(this.masked, 'm', type, field).inc();
    for (const field of row.fieldsWithheld) this.fieldCounter(this.withheld, 'w', type, field).inc();
  }

  auditBatch(rows: number, seconds: number): void {
    this.batchRows.observe(rows);
    this.commitSeconds.observe(seconds);
  }

  auditBatchFailed(): void {
    this.batchFailures.inc();
  }

  budgetRefused(resourceType: string): void {
    const type = this.bound.value('resource_type', resourceType);
    this.counter(this.budgetRefusals, `b ${type}`, [type]).inc();
  }

  authFailed(reason: AuthFailureReason): void {
    this.counter(this.authFailures, `f ${reason}`, [reason]).inc();
    if (reason === 'disabled') this.disabledRefusals.inc();
  }

  /** An export cut mid-stream because its person was disabled meanwhile. */
  disabledDuringExport(): void {
    this.disabledRefusals.inc();
  }

  /** Reports a pg pool's connections under `name` (`requests`, `audit`) on every scrape. */
  watchPool(name: string, pool: PoolStats): void {
    this.pools.set(name, pool);
  }

  /** Where the newest audit seq is read from on each scrape; a failed read keeps the last value. */
  setChainHeadSource(source: () => Promise<number | null>): void {
    this.chainHead = source;
  }

  /** The audit delivery's lag per sink, read on each scrape (sink names are configuration, so bounded). */
  setDeliveryLagSource(source: DeliveryLagSource): void {
    this.deliveryLag = source;
  }

  /** Which configured sinks this instance delivers to right now, read on each scrape. */
  setDeliveringSource(configured: readonly string[], now: () => readonly string[]): void {
    this.delivering = { configured, now };
  }

  /** The text Prometheus scrapes, and its content type (`text/plain; version=0.0.4`). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private fieldCounter(counter: Counter, prefix: string, type: string, field: string) {
    const name = this.bound.value('field', field);
    return this.counter(counter, `${prefix} ${type} ${name}`, [type, name]);
  }

  private counterOf(name: string, help: string, labelNames: string[] = []) {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogramOf(name: string, help: string, buckets: number[], labelNames: string[] = []) {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A gauge whose value is read by `collect` when Prometheus scrapes. */
  private gaugeOf(name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => void | Promise<void>) {
    const gauge: Gauge = new Gauge({ name, help, labelNames, registers: [this.registry], collect: () => collect(gauge) });
    return gauge;
  }

  /** prom-client's child for these label values, looked up once and kept. */
  private counter(metric: Counter, key: string, values: string[]): { inc(): void } {
    let child = this.counters.get(key);
    if (!child) this.counters.set(key, (child = metric.labels(...values)));
    return child;
  }
}
