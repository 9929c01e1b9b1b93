import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';
import { onServer } from '../helpers/test-database.js';

// GET /metrics over a real port: who may scrape it, and that the counters move by exactly
// what the requests did, with labels that name routes and models, never people or records.

const TOKEN = 'metrics-test-token-0123456789abcdefghijklmnop';
// Subjects distinctive enough that finding them anywhere in the output is a leak.
const AGENT = 'subject-agent-q7x';
const SCRAPER = 'subject-scraper-k2w';
const LEAVER = 'subject-leaver-z9v';
const ADMIN = 'subject-admin-p4m';

let t: TestApp;
let off: TestApp;
let customerId: string;

/** The default policy plus a role that may read two customers an hour, then is blocked. */
function tinyBudgetPolicy(): string {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.roles.scraper = { inherits: ['agent'], readBudget: { customers: 2, window: '1h', onExceed: 'block' } };
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-metrics-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

beforeAll(async () => {
  [t, off] = await Promise.all([startTestApp({ METRICS_TOKEN: TOKEN, POLICY_FILE: tinyBudgetPolicy() }), startTestApp()]);
  customerId = (await t.database.query(`select id from customers where privacy_level = 'standard' order by id limit 1`)).rows[0].id;
});
afterAll(async () => {
  await Promise.all([t?.close(), off?.close()]);
});

/** Prometheus text as `name{labels}` -> value (labels as written, sorted by prom-client). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const scrapeText = async () => {
  const res = await t.http({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.statusCode).toBe(200);
  return res.body;
};
const scrape = async () => samples(await scrapeText());

/** How much each sample grew while `work` ran. */
async function delta(work: () => Promise<unknown>): Promise<(key: string) => number> {
  const before = await scrape();
  await work();
  const after = await scrape();
  return (key) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

const bearer = async (sub: string, ...roles: string[]) => ({ authorization: `Bearer ${await t.token(sub, ...roles)}` });

describe('GET /metrics', () => {
  it('is 404 without METRICS_TOKEN (metrics off), and 401 without the right bearer', async () => {
    const none = await off.http({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(none.statusCode).toBe(404);
    expect(none.headers['content-type']).toContain('application/problem+json');

    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN, `Bearer ${await t.token(ADMIN, 'admin')}`]) {
      const res = await t.http({ url: '/metrics', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('fieldguard_');
      expect(res.body).not.toContain(TOKEN);
    }
  });

  it('serves the Prometheus text format to the token holder, and never logs the token', async () => {
    const res = await t.http({ url: '/metrics', headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('# TYPE fieldguard_http_requests_total counter');
    expect(res.body).toContain('# TYPE process_cpu_seconds_total counter');
    expect(t.rawLogs.join('\n')).not.toContain(TOKEN);
  });

  it('counts a masked REST read by route pattern, decision and masked field', async () => {
    const headers = await bearer(AGENT, 'agent');
    const grew = await delta(async () => expect((await t.http({ url: `/v1/customers/${customerId}`, headers })).statusCode).toBe(200));
    expect(grew('fieldguard_http_requests_total{method="GET",route="/v1/customers/:id",status="200"}')).toBe(1);
    expect(grew('fieldguard_http_request_duration_seconds_count{method="GET",route="/v1/customers/:id"}')).toBe(1);
    expect(grew('fieldguard_audit_decisions_total{action="read",resource_type="Customer",outcome="allowed",channel="rest"}')).toBe(1);
    expect(grew('fieldguard_fields_masked_total{resource_type="Customer",field="phone"}')).toBe(1);
    expect(grew('fieldguard_fields_withheld_total{resource_type="Customer",field="iban"}')).toBe(1);
  });

  it('counts GraphQL reads under /graphql and its channel', async () => {
    const token = await t.token(AGENT, 'agent');
    const grew = await delta(async () => {
      const res = await graphql(t.app, token, '{ customers(first: 2) { nodes { fullName phone } } }');
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    });
    expect(grew('fieldguard_http_requests_total{method="POST",route="/graphql",status="200"}')).toBe(1);
    expect(grew('fieldguard_audit_decisions_total{action="list",resource_type="Customer",outcome="allowed",channel="graphql"}')).toBe(1);
    expect(grew('fieldguard_fields_masked_total{resource_type="Customer",field="phone"}')).toBe(1);
  });

  it('counts a denied action by outcome, and unknown paths as unmatched', async () => {
    const headers = await bearer(AGENT, 'agent');
    const grew = await delta(async () => {
      expect((await t.http({ url: '/v1/customers/export?format=csv', headers })).statusCode).toBe(403);
      expect((await t.http({ url: `/v1/nothing/${customerId}`, headers })).statusCode).toBe(404);
    });
    expect(grew('fieldguard_http_requests_total{method="GET",route="/v1/customers/export",status="403"}')).toBe(1);
    expect(grew('fieldguard_audit_decisions_total{action="export",resource_type="Customer",outcome="denied",channel="rest"}')).toBe(1);
    expect(grew('fieldguard_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
  });

  it('counts read budget refusals by resource type', async () => {
    const headers = await bearer(SCRAPER, 'scraper');
    const grew = await delta(async () => expect((await t.http({ url: '/v1/customers?limit=5', headers })).statusCode).toBe(429));
    expect(grew('fieldguard_read_budget_refusals_total{resource_type="Customer"}')).toBe(1);
    expect(grew('fieldguard_audit_decisions_total{action="anomaly.bulk_access",resource_type="Customer",outcome="denied",channel="rest"}')).toBe(1);
    expect(grew('fieldguard_http_requests_total{method="GET",route="/v1/customers",status="429"}')).toBe(1);
  });

  it('counts a disabled person refused, and other authentication failures by reason', async () => {
    const leaver = await bearer(LEAVER, 'agent');
    expect((await t.http({ url: `/v1/customers/${customerId}`, headers: leaver })).statusCode).toBe(200);
    const disabled = await t.http({ method: 'POST', url: `/v1/principals/${LEAVER}/disable`, headers: await bearer(ADMIN, 'admin'), payload: { reason: 'Left' } });
    expect(disabled.statusCode).toBe(200);
    const grew = await delta(async () => {
      expect((await t.http({ url: `/v1/customers/${customerId}`, headers: leaver })).json()).toMatchObject({ code: 'PRINCIPAL_DISABLED' });
      expect((await t.http({ url: '/v1/customers' })).statusCode).toBe(401);
      expect((await t.http({ url: '/v1/customers', headers: { authorization: 'Bearer not.a.token' } })).statusCode).toBe(401);
    });
    expect(grew('fieldguard_principal_disabled_refusals_total')).toBe(1);
    expect(grew('fieldguard_auth_failures_total{reason="disabled"}')).toBe(1);
    expect(grew('fieldguard_auth_failures_total{reason="missing"}')).toBe(1);
    expect(grew('fieldguard_auth_failures_total{reason="invalid"}')).toBe(1);
    expect(grew('fieldguard_audit_decisions_total{action="authenticate",resource_type="AccessToken",outcome="denied",channel="rest"}')).toBe(2);
  });

  it('reports audit batches, the chain head, the pools and the delivery lag of each sink', async () => {
    t.app.metrics.setDeliveryLagSource(() => ({ siem: 3, webhook: 0 }));
    const text = await scrapeText();
    const now = samples(text);
    expect(text).toMatch(/^fieldguard_audit_batch_rows_bucket\{le="1"\} \d+$/m);
    expect(text).toMatch(/^fieldguard_audit_commit_seconds_bucket\{le="0.005"\} \d+$/m);
    expect(text).toMatch(/^fieldguard_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/v1\/customers\/:id"\} \d+$/m);
    expect(now.get('fieldguard_audit_batch_rows_count')).toBeGreaterThan(0);
    const { max } = (await t.database.query('select max(seq)::int as max from audit_events')).rows[0];
    expect(now.get('fieldguard_audit_chain_head_seq')).toBe(max);
    expect(now.get('fieldguard_db_pool_connections{pool="requests"}')).toBeGreaterThanOrEqual(1);
    // The audit writer's own connection; on embedded PGlite (one session) it writes through the requests pool.
    expect(now.get('fieldguard_db_pool_connections{pool="audit"}')).toBe(onServer ? 1 : undefined);
    expect(now.get('fieldguard_db_pool_waiting_requests{pool="requests"}')).toBe(0);
    expect(now.get('fieldguard_audit_delivery_lag_events{sink="siem"}')).toBe(3);
    expect(now.get('fieldguard_audit_delivery_lag_events{sink="webhook"}')).toBe(0);

    // A failing source leaves the gauge out; the scrape still succeeds.
    t.app.metrics.setDeliveryLagSource(() => Promise.reject(new Error('sink down')));
    expect(await scrapeText()).not.toMatch(/^fieldguard_audit_delivery_lag_events\{/m);
  });

  it('labels name routes, actions and fields, never a record id or a subject', async () => {
    const text = await scrapeText();
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    for (const sub of [AGENT, SCRAPER, LEAVER, ADMIN]) expect(text).not.toContain(sub);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[A-Za-z0-9/:_.-]*)$/);
    expect(routes).toContain('/v1/principals/:sub/disable');
  });
});
