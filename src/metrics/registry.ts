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
  private chainHead: (() => Promise<number | null>) | null = null;
  private readonly pools = new Map<string, PoolStats>();

  private readonly requests = new Counter({ name: 'fieldguard_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status code.', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'fieldguard_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method and route pattern.', labelNames: ['method', 'route'], buckets: SECONDS, registers: [this.registry] });
  private readonly decisions = new Counter({ name: 'fieldguard_audit_decisions_total', help: 'Access decisions recorded in the audit trail, by action, resource type, outcome and channel.', labelNames: ['action', 'resource_type', 'outcome', 'channel'], registers: [this.registry] });
  private readonly masked = new Counter({ name: 'fieldguard_fields_masked_total', help: 'Allowed decisions that served a field masked, by resource type and field.', labelNames: ['resource_type', 'field'], registers: [this.registry] });
  private readonly withheld = new Counter({ name: 'fieldguard_fields_withheld_total', help: 'Allowed decisions that withheld a field, by resource type and field.', labelNames: ['resource_type', 'field'], registers: [this.registry] });
  private readonly batchRows = new Histogram({ name: 'fieldguard_audit_batch_rows', help: 'Audit rows appended per batch (group commit).', buckets: BATCH_ROWS, registers: [this.registry] });
  private readonly commitSeconds = new Histogram({ name: 'fieldguard_audit_commit_seconds', help: 'Time to append and commit one audit batch.', buckets: SECONDS, registers: [this.registry] });
  private readonly batchFailures = new Counter({ name: 'fieldguard_audit_batch_failures_total', help: 'Audit batches the database refused (callers got 503 unless a retry row by row succeeded).', registers: [this.registry] });
  private readonly budgetRefusals = new Counter({ name: 'fieldguard_read_budget_refusals_total', help: 'Requests refused with 429 BUDGET_EXCEEDED, by resource type.', labelNames: ['resource_type'], registers: [this.registry] });
  private readonly authFailures = new Counter({ name: 'fieldguard_auth_failures_total', help: 'Requests refused at authentication, by reason (missing, invalid, disabled, unavailable, throttled).', labelNames: ['reason'], registers: [this.registry] });
  private readonly disabledRefusals = new Counter({ name: 'fieldguard_principal_disabled_refusals_total', help: 'Requests and exports refused because their person or token is disabled (PRINCIPAL_DISABLED).', registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // Process CPU, memory, event loop lag and GC, under their standard names.
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const pool = (name: string, help: string, stat: (s: PoolStats) => number) => {
      const gauge: Gauge = new Gauge({ name, help, labelNames: ['pool'], registers: [this.registry], collect: () => {
        for (const [label, stats] of this.pools) gauge.set({ pool: label }, stat(stats));
      } });
    };
    pool('fieldguard_db_pool_connections', 'Connections the pool holds open (busy and idle).', (s) => s.totalCount);
    pool('fieldguard_db_pool_idle_connections', 'Open connections waiting for work.', (s) => s.idleCount);
    pool('fieldguard_db_pool_waiting_requests', 'Callers waiting for a connection of an exhausted pool.', (s) => s.waitingCount);
    // The head only grows: when it cannot be read (database down), the last value read stays.
    const head: Gauge = new Gauge({ name: 'fieldguard_audit_chain_head_seq', help: 'Position of the newest row of the audit chain (shared by every instance), as last read.', registers: [this.registry], collect: async () => {
      const seq = this.chainHead ? await this.chainHead().catch(() => null) : null;
      if (seq !== null) head.set(seq);
    } });
    const lag: Gauge = new Gauge({ name: 'fieldguard_audit_delivery_lag_events', help: 'Audit events each delivery sink has yet to deliver.', labelNames: ['sink'], registers: [this.registry], collect: async () => {
      lag.reset();
      const source = this.deliveryLag;
      // A failing source leaves the gauge out of this scrape rather than failing it.
      const lags: Record<string, number> = source ? await Promise.resolve().then(source).catch(() => ({})) : {};
      for (const [sink, events] of Object.entries(lags)) lag.set({ sink: this.bound.value('sink', sink) }, events);
    } });
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

  /** The text Prometheus scrapes, and its content type (`text/plain; version=0.0.4`). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private fieldCounter(counter: Counter, prefix: string, type: string, field: string) {
    const name = this.bound.value('field', field);
    return this.counter(counter, `${prefix} ${type} ${name}`, [type, name]);
  }

  /** prom-client's child for these label values, looked up once and kept. */
  private counter(metric: Counter, key: string, values: string[]): { inc(): void } {
    let child = this.counters.get(key);
    if (!child) this.counters.set(key, (child = metric.labels(...values)));
    return child;
  }
}
