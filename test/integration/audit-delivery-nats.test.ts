import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nanos, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryDatabase, eventually, produceEvents, trailIds, type DeliveryApp } from '../helpers/delivery-apps.js';

// The trail pushed to the real NATS JetStream server on 127.0.0.1:4222 (.ci/run starts
// one when none runs): a stream and subject prefix of this run's own, so runs never mix.

const NATS_URL = process.env.AUDIT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const run = randomBytes(4).toString('hex');
const STREAM = `FG_TEST_${run}`;
const PREFIX = `fgtest.${run}.audit`;
const env = {
  AUDIT_SINKS: 'nats',
  AUDIT_SINK_NATS_URL: NATS_URL,
  AUDIT_SINK_NATS_STREAM: STREAM,
  AUDIT_SINK_NATS_SUBJECT_PREFIX: PREFIX,
  AUDIT_SINK_FORMAT: 'ocsf',
  AUDIT_SINK_POLL_MS: '50',
  AUDIT_SINK_RETRY_MIN_MS: '50',
  AUDIT_SINK_RETRY_MAX_MS: '200',
  AUDIT_SINK_BATCH_SIZE: '4',
};

let fixture: Awaited<ReturnType<typeof deliveryDatabase>>;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL, timeout: 3_000 }).catch((err: Error) => {
    throw new Error(`NATS JetStream is not reachable at ${NATS_URL} (.ci/run starts one): ${err.message}`);
  });
  jsm = await nc.jetstreamManager();
  fixture = await deliveryDatabase();
});

afterAll(async () => {
  await fixture?.close();
  await jsm?.streams.delete(STREAM).catch(() => undefined);
  await nc?.close();
});

interface Received {
  subject: string;
  msgId: string | undefined;
  seqHeader: string | undefined;
  body: Record<string, any>;
}

/** Everything the stream holds, in stream order. */
async function streamContents(): Promise<Received[]> {
  const info = await jsm.streams.info(STREAM);
  const out: Received[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(STREAM, { seq });
    out.push({ subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), seqHeader: m.header?.get('Fieldguard-Seq'), body: m.json() });
  }
  return out;
}

const caughtUp = (app: DeliveryApp) => eventually('delivery to catch up', async () => (await app.app.auditDelivery.deliveryLag()).nats === 0);

describe('audit delivery to NATS JetStream', () => {
  let first: DeliveryApp;

  it('creates the stream and publishes every event in chain order, with its id, as the OCSF feed renders it', async () => {
    first = await fixture.start(env);
    await produceEvents(first.http, fixture.token);
    await caughtUp(first);
    const ids = await trailIds(fixture.database);
    expect(ids.length).toBeGreaterThanOrEqual(9);
    const received = await streamContents();
    expect(received.map((r) => r.msgId)).toEqual(ids);
    expect(received.map((r) => r.body.metadata.uid)).toEqual(ids);

    // One subject per action, its dots made underscores.
    const actions = (await fixture.database.query('select action from audit_events order by seq')).rows.map((r: { action: string }) => r.action);
    expect(received.map((r) => r.subject)).toEqual(actions.map((a: string) => `${PREFIX}.${a.replace(/\./g, '_')}`));
    expect(received.map((r) => r.seqHeader)).toEqual(ids.map((_, i) => String(i + 1)));

    // The same renderer as GET /v1/audit/events?format=ocsf.
    const auditor = await fixture.token('siem', 'auditor');
    const feed = await first.http({ url: '/v1/audit/events?format=ocsf&limit=100', headers: { authorization: `Bearer ${auditor}` } });
    expect(received.map((r) => r.body)).toEqual(feed.json().items);
    expect(first.app.auditDelivery.delivering()).toEqual(['nats']);
    const position = await fixture.database.query(`select last_seq, last_error from audit_delivery where sink = 'nats'`);
    expect(position.rows[0]).toEqual({ last_seq: String(ids.length), last_error: null });
  });

  it('resumes from the stored position after a restart: nothing published twice, nothing missed', async () => {
    // Take JetStream's de-duplication out of the picture: an event published again would
    // now be stored again, so only the stored position can keep the stream exact.
    const info = await jsm.streams.info(STREAM);
    await jsm.streams.update(STREAM, { ...info.config, duplicate_window: nanos(100) });
    await fixture.stop(first.app);
    await new Promise((r) => setTimeout(r, 150)); // past the window

    const second = await fixture.start(env);
    await produceEvents(second.http, fixture.token, 2);
    await caughtUp(second);
    const ids = await trailIds(fixture.database);
    const received = await streamContents();
    expect(received.map((r) => r.msgId)).toEqual(ids);
    await fixture.stop(second.app);
  });
});

/** A spare loopback port: taken, read and released. */
async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('audit delivery to a NATS server that is not there yet', () => {
  let server: ChildProcess | undefined;
  const store = mkdtempSync(join(tmpdir(), 'fg-nats-'));
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server!.once('exit', resolve));
    }
    rmSync(store, { recursive: true, force: true });
  });

  it('serves requests and records why while NATS is down, then delivers every event once it is up', async () => {
    const fixture = await deliveryDatabase();
    const port = await sparePort();
    const url = `nats://127.0.0.1:${port}`;
    const app = await fixture.start({ ...env, AUDIT_SINK_NATS_URL: url, AUDIT_SINK_NATS_STREAM: 'FG_LATE', AUDIT_SINK_NATS_SUBJECT_PREFIX: 'fglate.audit' });
    try {
      await produceEvents(app.http, fixture.token, 2);
      const error = await eventually('the failure recorded', async () => {
        const row = await fixture.database.query(`select last_error from audit_delivery where sink = 'nats'`);
        return row.rows[0]?.last_error as string | undefined;
      });
      expect(error).toContain(`NATS at ${url} unavailable`);
      expect((await app.app.auditDelivery.deliveryLag()).nats).toBeGreaterThan(0);

      server = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
      await eventually('delivery to catch up', async () => (await app.app.auditDelivery.deliveryLag()).nats === 0);
      const late = await connect({ servers: url });
      const lateJsm = await late.jetstreamManager();
      const info = await lateJsm.streams.info('FG_LATE');
      const ids: string[] = [];
      for (let seq = 1; seq <= info.state.last_seq; seq++) ids.push((await lateJsm.streams.getMessage('FG_LATE', { seq })).header!.get('Nats-Msg-Id'));
      await late.close();
      expect(ids).toEqual(await trailIds(fixture.database));
    } finally {
      await fixture.close();
    }
  });
});
