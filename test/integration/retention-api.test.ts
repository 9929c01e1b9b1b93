import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// GET /v1/retention over a real port: the dry run of the default policy's rules (Booking:
// 10 years from startsAt, delete), a legal hold sparing one booking, the bound, the right
// and the audit event. Expected values written by hand from the bookings inserted here.

let t: TestApp;
let dpo: Record<string, string>;

async function oldBookings(customerId: string, count: number, service: string): Promise<string[]> {
  const { rows } = await t.database.query(
    `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at)
     select $1, 'sara', $2, now() - interval '11 years', now() - interval '11 years' + interval '1 hour' from generate_series(1, $3::int) returning id`,
    [customerId, service, count],
  );
  return rows.map((r: { id: string }) => r.id);
}

beforeAll(async () => {
  t = await startTestApp();
  dpo = { authorization: `Bearer ${await t.token('dana', 'dpo')}` };
});
afterAll(() => t?.close());

const dryRun = () => t.http({ url: '/v1/retention', headers: dpo });

describe('GET /v1/retention', () => {
  it('says nothing is due on the demo data, and changes nothing', async () => {
    const res = await dryRun();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body.resources).toEqual([{ resource: 'Booking', after: '10y', from: 'startsAt', then: 'delete', due: 0, held: 0, children: {} }]);
    expect(body.limits).toEqual([]);
    expect(Number.isNaN(Date.parse(body.asOf))).toBe(false);
  });

  it('counts the bookings past ten years and the one a legal hold keeps, deleting none', async () => {
    const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
    const [held, ...others] = await oldBookings(rows[0].id, 3, 'Old haircut');
    const hold = await t.http({ method: 'POST', url: `/v1/subjects/bookings/${held}/hold`, headers: dpo, payload: { reason: 'Disputed invoice' } });
    expect(hold.statusCode, hold.body).toBe(200);
    const body = (await dryRun()).json();
    expect(body.resources).toEqual([{ resource: 'Booking', after: '10y', from: 'startsAt', then: 'delete', due: 3, held: 1, children: {} }]);
    const left = await t.database.query(`select count(*)::int as n from bookings where id = any($1::uuid[])`, [[held, ...others]]);
    expect(left.rows[0].n).toBe(3);
    // The event holds counts, no ids and no values.
    const { rows: events } = await t.database.query(`select actor_sub, outcome, resource_type, details from audit_events where action = 'retention.dry_run' order by seq desc limit 1`);
    expect(events[0]).toMatchObject({ actor_sub: 'dana', outcome: 'allowed', resource_type: 'Inventory', details: { resources: 1, due: 3, held: 1 } });
  });

  it('is bounded: past 5000 due records it counts the rest and says so', async () => {
    const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
    await oldBookings(rows[0].id, 5000, 'Bulk');
    const body = (await dryRun()).json();
    expect(body.resources).toEqual([{ resource: 'Booking', after: '10y', from: 'startsAt', then: 'delete', due: 5003, held: 1, children: {}, complete: false }]);
    expect(body.limits).toEqual([
      'More than 5000 records of Booking are due: held records and children are counted over the first 5000; npm run retention -- --dry-run counts them all.',
    ]);
  });

  it('is for those who may read the inventory: an agent is refused, and the refusal audited', async () => {
    const res = await t.http({ url: '/v1/retention', headers: { authorization: `Bearer ${await t.token('alice', 'agent')}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
    const { rows } = await t.database.query(`select outcome from audit_events where action = 'retention.dry_run' and actor_sub = 'alice'`);
    expect(rows).toEqual([{ outcome: 'denied' }]);
    expect((await t.http({ url: '/v1/retention?resource=Booking', headers: dpo })).statusCode).toBe(400);
    expect((await t.http({ url: '/v1/retention' })).statusCode).toBe(401);
  });
});
