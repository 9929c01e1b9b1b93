import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryDatabase, eventually, produceEvents, trailIds } from '../helpers/delivery-apps.js';
import { startSiemServer } from '../helpers/siem-server.js';

// The trail pushed to an HTTP SIEM on loopback that fails, times out and recovers, and
// an app closed while a batch waits for its answer: every event arrives, in chain order,
// with its id; the only duplicates are the batch whose ack was lost.

const TOKEN = 'hec-token-0123456789';
const SEND_TIMEOUT_MS = 2_000;
const settings = (url: string, format: 'splunk' | 'elastic') => ({
  AUDIT_SINKS: 'http',
  AUDIT_SINK_HTTP_URL: url,
  AUDIT_SINK_HTTP_FORMAT: format,
  AUDIT_SINK_HTTP_TOKEN: TOKEN,
  // Long enough that a loaded machine never times out a send the SIEM answered (a
  // duplicate batch would then fail the order checks); short enough for the hang phase.
  AUDIT_SINK_HTTP_TIMEOUT_MS: String(SEND_TIMEOUT_MS),
  AUDIT_SINK_FORMAT: format === 'elastic' ? 'ecs' : 'json',
  AUDIT_SINK_POLL_MS: '50',
  AUDIT_SINK_RETRY_MIN_MS: '50',
  AUDIT_SINK_RETRY_MAX_MS: '200',
  AUDIT_SINK_BATCH_SIZE: '4',
});

type Fixture = Awaited<ReturnType<typeof deliveryDatabase>>;
const fixtures: Fixture[] = [];
const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const f of fixtures) await f.close();
  for (const s of servers) await s.close();
});

async function setup(format: 'splunk' | 'elastic') {
  const fixture = await deliveryDatabase();
  fixtures.push(fixture);
  const siem = await startSiemServer(format);
  servers.push(siem);
  return { fixture, siem };
}

const lastError = async (fixture: Fixture) =>
  (await fixture.database.query(`select last_error from audit_delivery where sink = 'http'`)).rows[0]?.last_error as string | null | undefined;

describe('audit delivery over HTTP (Splunk HEC shape)', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    ctx = await setup('splunk');
  });

  it('rides out a failing sink and one that never answers, then delivers every event once, in order, gzipped, with the bearer token', { timeout: 90_000 }, async () => {
    const { fixture, siem } = ctx;
    siem.setMode('fail');
    const { app, http, logs } = await fixture.start(settings(siem.url, 'splunk'));
    await produceEvents(http, fixture.token);
    // Requests are served while the sink fails: the trail is the source of truth.
    await eventually('two failed sends', async () => siem.requests.filter((r) => r.mode === 'fail').length >= 2);
    expect(await lastError(fixture)).toMatch(/answered 500$/);
    expect((await app.auditDelivery.deliveryLag()).http).toBeGreaterThan(0);

    siem.setMode('hang');
    const before = siem.requests.length;
    await eventually('two sends left unanswered', async () => siem.requests.slice(before).filter((r) => r.mode === 'hang').length >= 2);
    await eventually('the timeout recorded', async () => (await lastError(fixture))?.endsWith(`no answer within ${SEND_TIMEOUT_MS} ms`));
    // A send hangs right now, and requests are answered as ever: sooner than the send's timeout.
    const agent = await fixture.token('alice', 'agent');
    const started = performance.now();
    const read = await http({ url: '/v1/customers?limit=5', headers: { authorization: `Bearer ${agent}` } });
    expect(read.statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(SEND_TIMEOUT_MS);

    siem.setMode('ok');
    await produceEvents(http, fixture.token, 1);
    await eventually('delivery to catch up', async () => (await app.auditDelivery.deliveryLag()).http === 0);
    expect(await lastError(fixture)).toBeNull();

    const ids = await trailIds(fixture.database);
    const delivered = siem.events((r) => r.mode === 'ok');
    expect(delivered.map((e) => e.event.eventId)).toEqual(ids);
    for (const r of siem.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.headers['content-encoding']).toBe('gzip');
    }
    expect(delivered.every((e) => e.sourcetype === 'fieldguard:audit:json' && e.time === Date.parse(e.event.occurredAt) / 1000)).toBe(true);
    expect(siem.requests.every((r) => r.text.split('\n').length <= 4)).toBe(true);

    // What GET /v1/audit/events renders, event for event.
    const auditor = await fixture.token('siem', 'auditor');
    const feed = await http({ url: '/v1/audit/events?limit=100', headers: { authorization: `Bearer ${auditor}` } });
    expect(delivered.map((e) => e.event)).toEqual(feed.json().items);
    // The failures were logged, the token never.
    expect(logs.some((l) => l.msg === 'audit delivery failed; retrying')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });
});

describe('audit delivery over HTTP (Elastic _bulk shape) across a crash', () => {
  it('an app closed while its batch waits for the answer leaves duplicates of that batch only, never a gap', async () => {
    const { fixture, siem } = await setup('elastic');
    const first = await fixture.start(settings(siem.url, 'elastic'));
    await produceEvents(first.http, fixture.token, 1);
    await eventually('delivery to catch up', async () => (await first.app.auditDelivery.deliveryLag()).http === 0);

    siem.setMode('hang');
    await produceEvents(first.http, fixture.token, 2);
    await eventually('a batch in flight', async () => siem.requests.some((r) => r.mode === 'hang'));
    // The SIEM got the batch; its answer never reaches the app, which goes away.
    await fixture.stop(first.app);
    const inFlight = new Set(siem.events((r) => r.mode === 'hang').map((e) => e.action.create._id as string));

    siem.setMode('ok');
    const second = await fixture.start(settings(siem.url, 'elastic'));
    await produceEvents(second.http, fixture.token, 1);
    await eventually('delivery to catch up', async () => (await second.app.auditDelivery.deliveryLag()).http === 0);

    const ids = await trailIds(fixture.database);
    const received = siem.events().map((e) => e.action.create._id as string);
    // Every event, first seen in chain order; the repeats are exactly the unacknowledged batch.
    expect([...new Set(received)]).toEqual(ids);
    const repeated = received.filter((id, i) => received.indexOf(id) !== i);
    expect(repeated.length).toBeGreaterThan(0);
    expect(repeated.every((id) => inFlight.has(id))).toBe(true);
    for (const e of siem.events()) {
      expect(e.action).toEqual({ create: { _index: 'fieldguard-audit', _id: e.doc.event.id } });
    }
    expect(siem.requests.every((r) => r.headers['content-type'] === 'application/x-ndjson')).toBe(true);
  });
});
