import { describe, expect, it } from 'vitest';
import { LabelBound } from '../../src/metrics/bounded-label.js';
import { Metrics } from '../../src/metrics/registry.js';

const text = async (metrics: Metrics) => (await metrics.scrape()).body;

describe('metrics registry', () => {
  it('keeps each instance on a registry of its own', async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.httpRequest('GET', '/healthz', 200, 0.001);
    expect(await text(a)).toContain('fieldguard_http_requests_total{method="GET",route="/healthz",status="200"} 1');
    expect(await text(b)).not.toContain('route="/healthz"');
  });

  it('turns id-like values and values past the cap into "other"', () => {
    const bound = new LabelBound(3);
    expect(bound.value('field', 'phone')).toBe('phone');
    expect(bound.value('field', '0b6a4c1e-2f4d-4d2a-9c57-1f0e8a1b2c3d')).toBe('other');
    expect(bound.value('field', 'a value with spaces')).toBe('other');
    expect(bound.value('field', 'email')).toBe('email');
    expect(bound.value('field', 'iban')).toBe('iban');
    expect(bound.value('field', 'notes')).toBe('other');
    expect(bound.value('field', 'phone')).toBe('phone');
    expect(bound.value('action', 'read')).toBe('read');
  });

  it('counts masked and withheld fields only for allowed decisions', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const row = { action: 'read', resourceType: 'Customer', channel: 'rest', fieldsMasked: ['phone'], fieldsWithheld: ['iban'] };
    m.decision({ ...row, outcome: 'allowed' });
    m.decision({ ...row, outcome: 'denied' });
    const out = await text(m);
    expect(out).toContain('fieldguard_fields_masked_total{resource_type="Customer",field="phone"} 1');
    expect(out).toContain('fieldguard_fields_withheld_total{resource_type="Customer",field="iban"} 1');
    expect(out).toContain('fieldguard_audit_decisions_total{action="read",resource_type="Customer",outcome="denied",channel="rest"} 1');
  });

  it('reads pools, chain head and delivery lag on scrape; a failed read keeps the head, and leaves the lag out', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const pool = { totalCount: 3, idleCount: 1, waitingCount: 0 };
    m.watchPool('requests', pool);
    m.setChainHeadSource(async () => 41);
    m.setDeliveryLagSource(() => ({ siem: 7 }));
    let out = await text(m);
    expect(out).toContain('fieldguard_db_pool_connections{pool="requests"} 3');
    expect(out).toContain('fieldguard_db_pool_idle_connections{pool="requests"} 1');
    expect(out).toContain('fieldguard_audit_chain_head_seq 41');
    expect(out).toContain('fieldguard_audit_delivery_lag_events{sink="siem"} 7');

    m.setChainHeadSource(() => Promise.reject(new Error('database down')));
    m.setDeliveryLagSource(() => {
      throw new Error('sink down');
    });
    out = await text(m);
    expect(out).toContain('fieldguard_audit_chain_head_seq 41');
    expect(out).not.toMatch(/^fieldguard_audit_delivery_lag_events\{/m);
  });

  it('says which configured sinks this instance delivers to, 1 or 0 each, as the lease moves', async () => {
    const m = new Metrics({ defaultMetrics: false });
    expect(await text(m)).not.toMatch(/^fieldguard_audit_delivery_worker\{/m);
    let held: string[] = ['nats'];
    m.setDeliveringSource(['nats', 'http'], () => held);
    let out = await text(m);
    expect(out).toContain('fieldguard_audit_delivery_worker{sink="nats"} 1');
    expect(out).toContain('fieldguard_audit_delivery_worker{sink="http"} 0');
    held = [];
    out = await text(m);
    expect(out).toContain('fieldguard_audit_delivery_worker{sink="nats"} 0');
  });
});
