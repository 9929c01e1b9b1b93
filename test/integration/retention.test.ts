import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.js';
import { compilePolicyText, PolicyError } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { databaseHolding } from '../helpers/marker-scan.js';
import { runCli } from '../helpers/run-cli.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { onServer } from '../helpers/test-database.js';

// Retention (docs/retention.md) against a real database: records dated in the past by
// direct SQL, the CLI's dry run and its batches, children and files going with their
// parent, the trail, a run stopped half-way and carried on, and the service's schedule.

/** The default policy, plus: customers are deleted five years after they were created. */
function writePolicy(extra: (doc: any) => void = () => {}): string {
  const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
  doc.resources.Customer.retention = { after: '5y', from: 'createdAt', then: 'delete' };
  extra(doc);
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-retention-')), 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

const SHA = 'a'.repeat(64);

async function oldCustomer(t: TestApp, name: string, yearsAgo: number): Promise<string> {
  const { rows } = await t.database.query(`insert into customers (full_name, created_at) values ($1, now() - make_interval(years => $2)) returning id`, [name, yearsAgo]);
  return rows[0].id as string;
}

async function booking(t: TestApp, customerId: string, startsYearsAgo: number): Promise<string> {
  const { rows } = await t.database.query(
    `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at)
     values ($1, 'sara', 'Haircut', now() - make_interval(years => $2), now() - make_interval(years => $2) + interval '1 hour') returning id`,
    [customerId, startsYearsAgo],
  );
  return rows[0].id as string;
}

async function documentWithBytes(t: TestApp, customerId: string): Promise<string> {
  const { rows } = await t.database.query(
    `insert into documents (customer_id, category, title, content_type, size_bytes, sha256, created_by) values ($1, 'invoice', 'Invoice 1', 'application/pdf', 4, $2, 'sara') returning id`,
    [customerId, SHA],
  );
  await t.database.query(`insert into document_chunks (document_id, seq, bytes) values ($1, 0, '\\x01020304'::bytea)`, [rows[0].id]);
  return rows[0].id as string;
}

const count = async (t: TestApp, text: string, values: unknown[] = []) => Number((await t.database.query(`select count(*) as n from (${text}) q`, values)).rows[0].n);
const retentionEvents = async (t: TestApp) =>
  (
    await t.database.query(
      `select actor_sub, channel, resource_type, resource_ids, details from audit_events where action = 'retention.applied' order by seq`,
    )
  ).rows as Array<{ actor_sub: string; channel: string; resource_type: string; resource_ids: string[]; details: Record<string, any> }>;

describe('npm run retention', () => {
  let t: TestApp;
  let policyFile: string;
  const ids: Record<string, string> = {};
  const demo: Record<string, number> = {};
  const cli = (args: string[], env: Record<string, string> = {}) => runCli('retention', args, { DATABASE_URL: t.database.url, POLICY_FILE: policyFile, ...env });

  beforeAll(async () => {
    policyFile = writePolicy();
    // Demo data on: none of it is past retention, so none of it may go.
    t = await startTestApp({ POLICY_FILE: policyFile });
    demo.customers = await count(t, 'select 1 from customers');
    demo.bookings = await count(t, 'select 1 from bookings');
    demo.documents = await count(t, 'select 1 from documents');
    expect(demo.bookings).toBeGreaterThan(0);
    for (const n of [1, 2, 3, 4, 5]) ids[`old${n}`] = await oldCustomer(t, `Old Customer ${n}`, 6);
    // Each old customer has one booking of last year (not past its own two years).
    for (const n of [1, 2, 3, 4, 5]) ids[`oldBooking${n}`] = await booking(t, ids[`old${n}`]!, 1);
    ids.oldDocument = await documentWithBytes(t, ids.old1!);
    // A customer of four years ago (kept) with a booking of eleven years ago (due) and one of last year (kept).
    ids.recent = await oldCustomer(t, 'Recent Customer', 4);
    ids.staleBooking = await booking(t, ids.recent, 11);
    ids.keptBooking = await booking(t, ids.recent, 1);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('lists in a dry run what is past retention, per resource, with the children that would go, and changes nothing', async () => {
    const before = await count(t, 'select 1 from customers');
    const run = await cli(['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Customer: 5 past 5y from createdAt, would delete 5, with 5 Booking, 1 Document\n');
    expect(run.stdout).toContain('Booking: 1 past 10y from startsAt, would delete 1\n');
    expect(run.stdout).toContain('dry run: nothing changes');
    expect(await count(t, 'select 1 from customers')).toBe(before);
    expect(await retentionEvents(t)).toEqual([]);
  }, 60_000);

  it('refuses bad arguments with the usage', async () => {
    const run = await cli(['--batch-size', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--batch-size must be a whole number from 1 to 1000');
    expect(run.stderr).toContain('Usage: npm run retention');
  }, 60_000);

  // Needs a PostgreSQL server: embedded PGlite serves every connection in one session,
  // where an advisory lock is re-entrant, so "another run" could never be kept out.
  it.skipIf(!onServer)('does nothing while another run holds the retention lock', async () => {
    const held = new pg.Client({ connectionString: t.database.url });
    await held.connect();
    try {
      await held.query(`select pg_advisory_lock(7203, hashtext('retention'))`);
      const run = await cli([]);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain('holds the retention lock');
      expect(await count(t, 'select 1 from customers where full_name like $1', ['Old Customer %'])).toBe(5);
    } finally {
      await held.end();
    }
  }, 60_000);

  it('stops at --limit, audited batch by batch, and a second run carries on where it stopped', async () => {
    const first = await cli(['--batch-size', '2', '--limit', '3']);
    expect(first.code, first.stderr).toBe(4);
    expect(first.stderr).toBe('Customer: 2/5 deleted\nCustomer: 3/5 deleted\n');
    expect(first.stdout).toContain('Customer: deleted 3, with 3 Booking');
    expect(first.stdout).toContain('more still due');
    expect(await count(t, 'select 1 from customers where full_name like $1', ['Old Customer %'])).toBe(2);
    // Nothing of Booking's own rule ran yet: the limit came first.
    expect(await count(t, 'select 1 from bookings where id = $1', [ids.staleBooking])).toBe(1);

    const second = await cli(['--batch-size', '2']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe('Customer: 2/2 deleted\nBooking: 1/1 deleted\n');
    expect(second.stdout).toContain('Customer: deleted 2, with 2 Booking');
    expect(second.stdout).toContain('Booking: deleted 1\n');
  }, 60_000);

  it('deleted the old customers with their bookings, documents and document bytes, and kept the rest', async () => {
    expect(await count(t, 'select 1 from customers where full_name like $1', ['Old Customer %'])).toBe(0);
    for (const n of [1, 2, 3, 4, 5]) expect(await count(t, 'select 1 from bookings where id = $1', [ids[`oldBooking${n}`]])).toBe(0);
    expect(await count(t, 'select 1 from documents where id = $1', [ids.oldDocument])).toBe(0);
    expect(await count(t, 'select 1 from document_chunks where document_id = $1', [ids.oldDocument])).toBe(0);
    expect(await count(t, 'select 1 from bookings where id = $1', [ids.staleBooking])).toBe(0);
    expect(await count(t, 'select 1 from bookings where id = $1', [ids.keptBooking])).toBe(1);
    expect(await count(t, 'select 1 from customers where id = $1', [ids.recent])).toBe(1);
    // The demo data is all recent: every record of it is still there.
    expect(await count(t, `select 1 from customers where full_name not like 'Old Customer %' and full_name <> 'Recent Customer'`)).toBe(demo.customers);
    expect(await count(t, 'select 1 from bookings where customer_id <> $1', [ids.recent])).toBe(demo.bookings);
    expect(await count(t, 'select 1 from documents')).toBe(demo.documents);
  });

  it('wrote one event per batch for the resource and one per child resource, by the retention subject, naming every id', async () => {
    const events = await retentionEvents(t);
    // Batches of 2 and 1 (the limit), then 2; the one document goes in whichever batch took its customer.
    const summary = events.filter((e) => e.resource_type !== 'Document').map((e) => [e.resource_type, e.resource_ids.length, e.details.cascadeFrom ?? null]);
    expect(summary).toEqual([
      ['Customer', 2, null],
      ['Booking', 2, 'Customer'],
      ['Customer', 1, null],
      ['Booking', 1, 'Customer'],
      ['Customer', 2, null],
      ['Booking', 2, 'Customer'],
      ['Booking', 1, null],
    ]);
    const document = events.findIndex((e) => e.resource_type === 'Document');
    expect(events[document]!.details.cascadeFrom).toBe('Customer');
    // Right after its batch's bookings, in the same batch as its customer.
    expect(events[document - 1]!.resource_type).toBe('Booking');
    expect(events[document - 2]!.resource_ids).toContain(ids.old1);
    expect(new Set(events.map((e) => e.actor_sub))).toEqual(new Set(['fieldguard:retention']));
    expect(new Set(events.map((e) => e.channel))).toEqual(new Set(['cli']));
    const customers = events.filter((e) => e.resource_type === 'Customer').flatMap((e) => e.resource_ids);
    expect(customers.sort()).toEqual([1, 2, 3, 4, 5].map((n) => ids[`old${n}`]).sort());
    expect(events.find((e) => e.resource_type === 'Document')!.resource_ids).toEqual([ids.oldDocument]);
    expect(events[0]!.details).toMatchObject({ then: 'delete', after: '5y', from: 'createdAt', trigger: 'cli', count: 2, held: 0 });
    expect(events[events.length - 1]!.resource_ids).toEqual([ids.staleBooking]);
  });

  it('leaves none of the deleted customers\' values anywhere in the database, the trail included', async () => {
    const names = [1, 2, 3, 4, 5].map((n) => `Old Customer ${n}`);
    expect(await databaseHolding(t.database, [...names, 'Recent Customer'])).toEqual(new Map([['Recent Customer', ['public.customers']]]));
  }, 60_000);

  it('leaves the audit chain intact', async () => {
    const verify = await runCli('audit', ['verify'], { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).ok).toBe(true);
  }, 60_000);

  it('finds nothing due afterwards', async () => {
    const run = await cli(['--dry-run']);
    expect(run.stdout).toContain('Customer: 0 past 5y from createdAt, would delete 0\n');
    expect(run.stdout).toContain('Booking: 0 past 10y from startsAt, would delete 0\n');
  }, 60_000);

  it('survives being killed mid-run: every committed batch is audited, and the next run finishes', async () => {
    const customer = ids.recent!;
    await t.database.query(
      `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at)
       select $1, 'sara', 'Bulk', now() - interval '11 years', now() - interval '11 years' + interval '1 hour' from generate_series(1, 20000)`,
      [customer],
    );
    const child = spawn(process.execPath, ['--import', 'tsx', projectFile('src', 'cli', 'retention.ts'), '--batch-size', '50', '--resource', 'Booking'], {
      cwd: projectFile(),
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: t.database.url, POLICY_FILE: policyFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('Booking: 100/20000') && resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const left = await count(t, `select 1 from bookings where service = 'Bulk'`);
    const audited = (await retentionEvents(t)).filter((e) => e.details.trigger === 'cli' && e.resource_type === 'Booking' && !e.details.cascadeFrom).flatMap((e) => e.resource_ids);
    // Killed part-way; what went is exactly what the trail says went (the one earlier stale booking included).
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(20000);
    expect(audited.length - 1).toBe(20000 - left);

    const rerun = await cli(['--batch-size', '500', '--resource', 'Booking']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`Booking: deleted ${left}\n`);
    expect(await count(t, `select 1 from bookings where service = 'Bulk'`)).toBe(0);
    const verify = await runCli('audit', ['verify'], { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });
    expect(verify.code, verify.stdout).toBe(0);
  }, 120_000);
});

const hold = (t: TestApp, resource: string, id: string) =>
  t.database.query(`insert into legal_holds (resource_type, record_id, reason, placed_by) values ($1, $2, 'litigation', 'dpo')`, [resource, id]);

describe('legal holds spare records', () => {
  let t: TestApp;
  let policyFile: string;
  const ids: Record<string, string> = {};
  const cli = (args: string[]) => runCli('retention', args, { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });

  beforeAll(async () => {
    policyFile = writePolicy();
    t = await startTestApp({ POLICY_FILE: policyFile, DEMO_DATA: 'false' });
    // Three customers past their five years: one held, one whose booking is held, one free.
    ids.held = await oldCustomer(t, 'Held Customer', 6);
    ids.heldChild = await oldCustomer(t, 'Customer With A Held Booking', 6);
    ids.heldBooking = await booking(t, ids.heldChild, 1);
    ids.free = await oldCustomer(t, 'Free Customer', 6);
    ids.freeBooking = await booking(t, ids.free, 1);
    // A recent customer under a hold, with a booking past its ten years: the hold keeps it.
    ids.heldParent = await oldCustomer(t, 'Recent Held Customer', 1);
    ids.oldBookingOfHeld = await booking(t, ids.heldParent, 11);
    await hold(t, 'Customer', ids.held);
    await hold(t, 'Booking', ids.heldBooking);
    await hold(t, 'Customer', ids.heldParent);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('counts the held records in the dry run: on the record, above it or under it', async () => {
    const run = await cli(['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Customer: 3 past 5y from createdAt, would delete 1 (2 held by a legal hold), with 1 Booking\n');
    expect(run.stdout).toContain('Booking: 1 past 10y from startsAt, would delete 0 (1 held by a legal hold)\n');
  }, 60_000);

  it('deletes only what no hold keeps, and says what it spared', async () => {
    const run = await cli([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Customer: deleted 1, with 1 Booking (2 held by a legal hold)\n');
    expect(run.stdout).toContain('Booking: deleted 0 (1 held by a legal hold)\n');
    expect(await count(t, 'select 1 from customers where id = $1', [ids.free])).toBe(0);
    expect(await count(t, 'select 1 from bookings where id = $1', [ids.freeBooking])).toBe(0);
    for (const id of [ids.held, ids.heldChild, ids.heldParent]) expect(await count(t, 'select 1 from customers where id = $1', [id])).toBe(1);
    for (const id of [ids.heldBooking, ids.oldBookingOfHeld]) expect(await count(t, 'select 1 from bookings where id = $1', [id])).toBe(1);
    const events = await retentionEvents(t);
    expect(events.map((e) => [e.resource_type, e.resource_ids])).toEqual([
      ['Customer', [ids.free]],
      ['Booking', [ids.freeBooking]],
    ]);
    expect(events[0]!.details).toMatchObject({ held: 2, count: 1 });
  }, 60_000);

  it('deletes a record once its hold is released', async () => {
    await t.database.query(`update legal_holds set released_at = now(), released_by = 'dpo' where record_id = $1`, [ids.held]);
    const run = await cli([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Customer: deleted 1 (1 held by a legal hold)\n');
    expect(await count(t, 'select 1 from customers where id = $1', [ids.held])).toBe(0);
  }, 60_000);
});

/** The clinic example as shipped: consultations are erased ten years after the visit. */
function clinicPolicy(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-retention-clinic-')), 'clinic.yaml');
  writeFileSync(file, readFileSync(projectFile('policies/examples/clinic.yaml')));
  return file;
}

describe('then: erase, in the clinic', () => {
  let t: TestApp;
  let policyFile: string;
  const ids: Record<string, string> = {};
  const cli = (args: string[]) => runCli('retention', args, { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });
  const patient = async (name: string) => (await t.database.query(`insert into clinic_patients (full_name, specialty) values ($1, 'general') returning id`, [name])).rows[0].id as string;
  const consultation = async (patientId: string, yearsAgo: number) =>
    (
      await t.database.query(
        `insert into consultations (patient_id, specialty, summary, seen_at) values ($1, 'general', 'Persistent cough', now() - make_interval(years => $2)) returning id`,
        [patientId, yearsAgo],
      )
    ).rows[0].id as string;
  const summaryOf = async (id: string) => (await t.database.query(`select summary, seen_at from consultations where id = $1`, [id])).rows[0];

  beforeAll(async () => {
    policyFile = clinicPolicy();
    t = await startTestApp({ POLICY_FILE: policyFile, DEMO_DATA: 'false' });
    ids.mario = await patient('Mario Bianchi');
    ids.greta = await patient('Greta Verdi');
    ids.due = await consultation(ids.mario, 11);
    // A summary found nowhere else, to look for once the consultation is erased.
    await t.database.query(`update consultations set summary = 'Wheezing since the 2014 flood' where id = $1`, [ids.due]);
    ids.heldItself = await consultation(ids.mario, 11);
    ids.heldPatient = await consultation(ids.greta, 11);
    ids.recent = await consultation(ids.mario, 5);
    await hold(t, 'Consultation', ids.heldItself);
    await hold(t, 'Patient', ids.greta);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('lists what would be erased and what a hold keeps', async () => {
    const run = await cli(['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Consultation: 3 past 10y from seenAt, would erase 1 (2 held by a legal hold)\n');
  }, 60_000);

  it('erases the consultation past its ten years as the erasure duty does: the summary goes, the visit stays', async () => {
    const run = await cli([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('Consultation: 1/3 erased (2 held)\n');
    expect(run.stdout).toContain('Consultation: erased 1 (2 held by a legal hold)\n');
    const erased = await summaryOf(ids.due!);
    expect(erased.summary).toBeNull();
    expect(erased.seen_at).not.toBeNull();
    for (const id of [ids.heldItself, ids.heldPatient, ids.recent]) expect((await summaryOf(id!)).summary).toBe('Persistent cough');
    const { rows } = await t.database.query(
      `select action, actor_sub, resource_type, resource_ids, details, event_id from audit_events where action in ('subject.erased', 'retention.applied') order by seq`,
    );
    expect(rows.map((r) => [r.action, r.actor_sub, r.resource_type, r.resource_ids])).toEqual([
      ['subject.erased', 'fieldguard:retention', 'Consultation', [ids.due]],
      ['retention.applied', 'fieldguard:retention', 'Consultation', [ids.due]],
    ]);
    expect(rows[1].details).toMatchObject({ then: 'erase', after: '10y', from: 'seenAt', count: 1, held: 2, erasures: [rows[0].event_id] });
    const reason = await t.database.query(`select reason, erased_by from erasures where record_id = $1`, [ids.due]);
    expect(reason.rows).toEqual([{ reason: 'retention: 10y after seenAt', erased_by: 'fieldguard:retention' }]);
    // The erased summary is nowhere in the database, the trail included; the kept ones still are.
    expect(await databaseHolding(t.database, ['Wheezing since the 2014 flood', 'Persistent cough'])).toEqual(new Map([['Persistent cough', ['public.consultations']]]));
  }, 60_000);

  it('never erases a record twice, and erases a held one once released; the chain verifies', async () => {
    const again = await cli(['--dry-run']);
    expect(again.stdout).toContain('Consultation: 2 past 10y from seenAt, would erase 0 (2 held by a legal hold)\n');
    await t.database.query(`update legal_holds set released_at = now(), released_by = 'dpo' where record_id = $1`, [ids.heldItself]);
    const run = await cli([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Consultation: erased 1 (1 held by a legal hold)\n');
    expect((await summaryOf(ids.heldItself!)).summary).toBeNull();
    expect((await summaryOf(ids.heldPatient!)).summary).toBe('Persistent cough');
    const verify = await runCli('audit', ['verify'], { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });
    expect(verify.code, verify.stdout).toBe(0);
  }, 90_000);
});

describe('the retention schedule inside the service', () => {
  let t: TestApp;
  const YEAR = 365 * 24 * 3600 * 1000;
  const ids: Record<string, string> = {};

  // Another instance (here: a session of the test) holds the retention lock at first.
  let other: pg.Client;

  beforeAll(async () => {
    // Nine and a half years from now: a booking of a year ago is then past its ten years, one of today is not.
    t = await startTestApp(
      { RETENTION_INTERVAL: '1s', DEMO_DATA: 'false' },
      {
        clock: () => Date.now() + 9.5 * YEAR,
        beforeStart: async (database) => {
          other = new pg.Client({ connectionString: database.url });
          await other.connect();
          await other.query(`select pg_advisory_lock(7203, hashtext('retention'))`);
        },
      },
    );
    ids.customer = await oldCustomer(t, 'Scheduled Customer', 0);
    ids.lastYear = await booking(t, ids.customer, 1);
    ids.today = await booking(t, ids.customer, 0);
  }, 120_000);
  afterAll(async () => {
    await other?.end().catch(() => undefined);
    await t?.close();
  });

  // On a PostgreSQL server only: on embedded PGlite the lock is re-entrant (one session).
  it.skipIf(!onServer)('skips its passes while another instance holds the retention lock', async () => {
    for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if (t.logs.filter((l) => l.msg === 'retention: another instance holds the lock; skipping this pass').length >= 2) break;
    }
    expect(t.logs.filter((l) => l.msg === 'retention: another instance holds the lock; skipping this pass').length).toBeGreaterThanOrEqual(2);
    expect(await count(t, 'select 1 from bookings where id = $1', [ids.lastYear])).toBe(1);
    expect(await retentionEvents(t)).toEqual([]);
    await other.end();
  });

  it('applies the policy by the service clock, as the retention subject, and audits it', async () => {
    for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if ((await count(t, 'select 1 from bookings where id = $1', [ids.lastYear])) === 0) break;
    }
    expect(await count(t, 'select 1 from bookings where id = $1', [ids.lastYear])).toBe(0);
    expect(await count(t, 'select 1 from bookings where id = $1', [ids.today])).toBe(1);
    expect(await count(t, 'select 1 from customers where id = $1', [ids.customer])).toBe(1);
    const events = await retentionEvents(t);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_sub: 'fieldguard:retention', channel: 'cli', resource_type: 'Booking', resource_ids: [ids.lastYear] });
    expect(events[0]!.details).toMatchObject({ trigger: 'schedule', then: 'delete', after: '10y', from: 'startsAt' });
    expect(t.logs.some((l) => l.msg === 'retention schedule started')).toBe(true);
  });

  it('is off unless RETENTION_INTERVAL is set, which must be a whole number of s, m, h or d', () => {
    expect(loadConfig({}).retention).toEqual({ intervalMs: null, batchSize: 100 });
    expect(loadConfig({ RETENTION_INTERVAL: '6h' }).retention.intervalMs).toBe(6 * 3600 * 1000);
    expect(loadConfig({ RETENTION_INTERVAL: '1d', RETENTION_BATCH_SIZE: '500' }).retention).toEqual({ intervalMs: 86_400_000, batchSize: 500 });
    expect(() => loadConfig({ RETENTION_INTERVAL: '1 day' })).toThrow(ConfigError);
    expect(() => loadConfig({ RETENTION_INTERVAL: '0h' })).toThrow('RETENTION_INTERVAL must be a whole number and a unit');
    expect(() => loadConfig({ RETENTION_BATCH_SIZE: '0' })).toThrow(ConfigError);
  });
});

describe('retention in the policy language', () => {
  const withRetention = (retention: unknown, resource = 'Booking') => {
    const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
    doc.resources[resource].retention = retention;
    return stringify(doc);
  };
  const problems = (text: string) => {
    try {
      compilePolicyText(text, undefined, 'p.yaml');
      return [];
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      return err.problems;
    }
  };

  it('compiles a rule into the model, with the period as an interval', () => {
    const policy = compilePolicyText(withRetention({ after: '6m', from: 'createdAt', then: 'delete' }), undefined);
    const rule = policy.model.resources.get('Booking')!.retention!;
    expect({ after: rule.after, interval: rule.interval, from: rule.from.name, then: rule.then }).toEqual({ after: '6m', interval: '6 months', from: 'createdAt', then: 'delete' });
    expect(policy.model.resources.get('Customer')!.retention).toBeUndefined();
  });

  it('refuses a from field that does not exist or is not a timestamp or date, at its path', () => {
    expect(problems(withRetention({ after: '2y', from: 'nope', then: 'delete' })).join('\n')).toMatch(/resources\.Booking\.retention\.from: unknown field "nope"/);
    expect(problems(withRetention({ after: '2y', from: 'service', then: 'delete' })).join('\n')).toMatch(/resources\.Booking\.retention\.from: "service" is a string: retention runs from a timestamp or date field/);
  });

  it('refuses a period without a unit, an unknown action, and retention on a policy-only resource', () => {
    expect(problems(withRetention({ after: '2', from: 'startsAt', then: 'delete' })).join('\n')).toMatch(/resources\.Booking\.retention\.after/);
    expect(problems(withRetention({ after: '2y', from: 'startsAt', then: 'archive' })).join('\n')).toMatch(/resources\.Booking\.retention\.then/);
    expect(problems(withRetention({ after: '2y', from: 'startsAt', then: 'delete' }, 'Policy')).join('\n')).toMatch(/resources\.Policy\.retention: retention describes a stored resource/);
  });

  it('gives a policy written before the model (policy-only Customer, Booking, Document) the default storage, not the default retention', () => {
    const doc = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
    for (const name of ['Customer', 'Booking', 'Document']) {
      const fields = Object.entries(doc.resources[name].fields as Record<string, { class?: string; mask?: string }>);
      doc.resources[name] = { fields: Object.fromEntries(fields.map(([f, spec]) => [f, { class: spec.class ?? 'system', ...(spec.mask ? { mask: spec.mask } : {}) }])) };
    }
    // Budgets name stored resources by plural: such a policy had none.
    for (const role of Object.values(doc.roles as Record<string, { readBudget?: unknown }>)) delete role.readBudget;
    const model = compilePolicyText(stringify(doc), undefined).model;
    expect(model.resources.get('Booking')!.table.name).toBe('bookings');
    expect(model.resources.get('Booking')!.retention).toBeUndefined();
  });

  it('ships a rule on bookings in the default policy and on consultations in the clinic example', () => {
    const booking = compilePolicyText(readFileSync(DEFAULT_POLICY_FILE), undefined).model.resources.get('Booking')!.retention!;
    expect([booking.after, booking.from.name, booking.then]).toEqual(['10y', 'startsAt', 'delete']);
    const clinic = compilePolicyText(readFileSync(projectFile('policies/examples/clinic.yaml')), undefined).model.resources.get('Consultation')!.retention!;
    expect([clinic.after, clinic.from.name, clinic.then]).toEqual(['10y', 'seenAt', 'erase']);
  });
});
