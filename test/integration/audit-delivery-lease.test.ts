import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { deliveryDatabase, eventually, produceEvents, trailIds, type DeliveryApp } from '../helpers/delivery-apps.js';
import { startSiemServer } from '../helpers/siem-server.js';

// Two instances on one database, both configured to deliver: one holds the lease and
// delivers; when it goes, the other takes over from the stored position. On a PostgreSQL
// of the test's own (as the other multi-instance tests), so it runs whatever the suite's
// mode: on PGlite every connection shares one session, and a lease means nothing.

let postgres: PrivatePostgres;
let fixture: Awaited<ReturnType<typeof deliveryDatabase>>;
let siem: Awaited<ReturnType<typeof startSiemServer>>;
beforeAll(async () => {
  postgres = await startPrivatePostgres();
  fixture = await deliveryDatabase(postgres.adminUrl);
  siem = await startSiemServer('splunk');
});
afterAll(async () => {
  await fixture?.close();
  await siem?.close();
  await postgres?.destroy();
});

const held = (logs: DeliveryApp['logs']) => logs.filter((l) => l.msg === 'audit delivery: this instance holds the lease and delivers').length;

it('exactly one of two instances delivers, and the other takes over when the holder closes', async () => {
  const env = {
    AUDIT_SINKS: 'http',
    AUDIT_SINK_HTTP_URL: siem.url,
    AUDIT_SINK_POLL_MS: '50',
    AUDIT_SINK_LEASE_RETRY_MS: '100',
    AUDIT_SINK_RETRY_MIN_MS: '50',
    AUDIT_SINK_RETRY_MAX_MS: '200',
  };
  const a = await fixture.start(env);
  const b = await fixture.start({ ...env, MIGRATE_ON_START: 'false' });
  await produceEvents(a.http, fixture.token, 2);
  await produceEvents(b.http, fixture.token, 2);
  await eventually('delivery to catch up', async () => (await b.app.auditDelivery.deliveryLag()).http === 0);
  // Several lease attempts by the other instance have come and gone meanwhile.
  await new Promise((r) => setTimeout(r, 300));

  const holders = [a, b].filter((x) => x.app.auditDelivery.delivering().includes('http'));
  expect(holders).toHaveLength(1);
  expect(held(a.logs) + held(b.logs)).toBe(1);
  const [holder] = holders as [DeliveryApp];
  const other = holder === a ? b : a;

  await fixture.stop(holder.app);
  await produceEvents(other.http, fixture.token, 2);
  await eventually('the other instance to take over', async () => other.app.auditDelivery.delivering().includes('http'));
  await eventually('delivery to catch up', async () => (await other.app.auditDelivery.deliveryLag()).http === 0);
  expect(held(other.logs)).toBe(1);

  // Every event once, in chain order, across the hand-over.
  expect(siem.events().map((e) => e.event.metadata.uid)).toEqual(await trailIds(fixture.database));
});
