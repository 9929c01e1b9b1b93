import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.js';
import { compilePolicyText, PolicyError } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

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
    // A customer of four years ago (kept) with a booking of three years ago (due) and one of last year (kept).
    ids.recent = await oldCustomer(t, 'Recent Customer', 4);
    ids.staleBooking = await booking(t, ids.recent, 3);
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
    expect(run.stdout).toContain('Booking: 1 past 2y from startsAt, would delete 1\n');
    expect(run.stdout).toContain('dry run: nothing changes');
    expect(await count(t, 'select 1 from customers')).toBe(before);
    expect(await retentionEvents(t)).toEqual([]);
  });

  it('refuses bad arguments with the usage', async () => {
    const run = await cli(['--batch-size', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--batch-size must be a whole number from 1 to 10000');
    expect(run.stderr).toContain('Usage: npm run retention');
  });

  it('does nothing while another run holds the retention lock', async () => {
    const held = await import('pg').then(({ default: pg }) => new pg.Client({ connectionString: t.database.url }));
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
  });

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
  });

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

  it('leaves the audit chain intact', async () => {
    const verify = await runCli('audit', ['verify'], { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).ok).toBe(true);
  });

  it('finds nothing due afterwards', async () => {
    const run = await cli(['--dry-run']);
    expect(run.stdout).toContain('Customer: 0 past 5y from createdAt, would delete 0\n');
    expect(run.stdout).toContain('Booking: 0 past 2y from startsAt, would delete 0\n');
  });

  it('survives being killed mid-run: every committed batch is audited, and the next run finishes', async () => {
    const customer = ids.recent!;
    await t.database.query(
      `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at)
       select $1, 'sara', 'Bulk', now() - interval '3 years', now() - interval '3 years' + interval '1 hour' from generate_series(1, 20000)`,
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

describe('the retention schedule inside the service', () => {
  let t: TestApp;
  const YEAR = 365 * 24 * 3600 * 1000;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // A year and a half from now: a booking of a year ago is then past its two years, one of today is not.
    t = await startTestApp({ RETENTION_INTERVAL: '1s', DEMO_DATA: 'false' }, { clock: () => Date.now() + 1.5 * YEAR });
    ids.customer = await oldCustomer(t, 'Scheduled Customer', 0);
    ids.lastYear = await booking(t, ids.customer, 1);
    ids.today = await booking(t, ids.customer, 0);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
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
    expect(events[0]!.details).toMatchObject({ trigger: 'schedule', then: 'delete', after: '2y', from: 'startsAt' });
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

  it('ships a rule on bookings in the default policy and on consultations in the clinic example', () => {
    const booking = compilePolicyText(readFileSync(DEFAULT_POLICY_FILE), undefined).model.resources.get('Booking')!.retention!;
    expect([booking.after, booking.from.name, booking.then]).toEqual(['2y', 'startsAt', 'delete']);
    const clinic = compilePolicyText(readFileSync(projectFile('policies/examples/clinic.yaml')), undefined).model.resources.get('Consultation')!.retention!;
    expect([clinic.after, clinic.from.name, clinic.then]).toEqual(['10y', 'seenAt', 'erase']);
  });
});
