import { httpFor } from '../helpers/http-client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/data/database.js';
import { sql } from 'kysely';
import { pino } from 'pino';
import { runCli } from '../helpers/run-cli.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { onServer } from '../helpers/test-database.js';

let t: TestApp;
let giuliaId: string;

beforeAll(async () => {
  t = await startTestApp();
  const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
  giuliaId = rows[0].id;
  // Some traffic, so the chain has rows.
  const headers = { authorization: `Bearer ${await t.token('alice', 'agent')}` };
  for (let i = 0; i < 5; i++) await t.http({ url: `/v1/customers/${giuliaId}`, headers });
  await t.http({ method: 'PATCH', url: `/v1/customers/${giuliaId}`, headers, payload: { notes: 'chained' } });
});
afterAll(() => t?.close());

const verify = async (checkpoint?: string) =>
  t.http({
    url: `/v1/audit/verify${checkpoint ? `?checkpoint=${checkpoint}` : ''}`,
    headers: { authorization: `Bearer ${await t.token('eve', 'auditor')}` },
  });

/** Runs SQL as the superuser with the append-only triggers off, as an attacker with DBA rights would. */
const asSuperuserWithoutTriggers = (statement: string, values?: unknown[]) =>
  t.database.session([['begin'], ['alter table audit_events disable trigger user'], [statement, values], ['alter table audit_events enable trigger user'], ['commit']]);

describe('the hash chain', () => {
  it('links every row to the previous one, starting from seq 1', async () => {
    const { rows } = await t.database.query('select seq, prev_hash, hash from audit_events order by seq');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows[0].seq).toBe('1');
    expect(rows[0].prev_hash).toBe('0'.repeat(64));
    rows.slice(1).forEach((row, i) => {
      expect(row.prev_hash).toBe(rows[i].hash);
      expect(Number(row.seq)).toBe(Number(rows[i].seq) + 1);
    });
  });

  it('hashes text outside ASCII exactly as the verifier does (the database computes the hashes)', async () => {
    // On the wire, as curl sends them: the UTF-8 bytes (Node's client writes a string's
    // code points as latin-1 bytes, so the bytes are spelled that way here).
    const utf8OnTheWire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const headers = {
      authorization: `Bearer ${await t.token('zoë-ünïcode', 'agent')}`,
      'x-purpose': utf8OnTheWire('Prüfung – 検査 😀 "quoted" \\ back'),
      'user-agent': utf8OnTheWire('Müller-Agent/1.0 (日本語)'),
    };
    expect((await t.http({ url: `/v1/customers/${giuliaId}`, headers })).statusCode).toBe(200);
    const { rows } = await t.database.query(`select purpose, user_agent from audit_events where actor_sub = 'zoë-ünïcode'`);
    expect(rows).toEqual([{ purpose: 'Prüfung – 検査 😀 "quoted" \\ back', user_agent: 'Müller-Agent/1.0 (日本語)' }]);
    expect((await verify()).json()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('verifies intact for an auditor, and the verification is itself audited', async () => {
    const { rows } = await t.database.query('select count(*)::int as n from audit_events');
    const res = await verify();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, verified: rows[0].n, firstBroken: null });
    const last = await t.database.query(`select action, details from audit_events order by seq desc limit 1`);
    expect(last.rows[0]).toMatchObject({ action: 'verify', details: { ok: true, verified: rows[0].n } });
  });

  it('is refused to roles that may not read the audit trail', async () => {
    const res = await t.http({ url: '/v1/audit/verify', headers: { authorization: `Bearer ${await t.token('carol', 'manager')}` } });
    expect(res.statusCode).toBe(403);
  });

  it('records a checkpoint over HTTP for an auditor: its own SEQ:HASH, which verify then finds', async () => {
    const res = await t.http({ method: 'POST', url: '/v1/audit/checkpoints', headers: { authorization: `Bearer ${await t.token('eve', 'auditor')}` } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    const { rows } = await t.database.query(`select seq, hash, action, channel, actor_sub, details from audit_events where event_id = $1`, [body.eventId]);
    expect(rows[0]).toMatchObject({ seq: body.seq, hash: body.hash, action: 'checkpoint', channel: 'rest', actor_sub: 'eve' });
    expect(rows[0].details).toMatchObject({ verified: body.verified, previousHead: { seq: String(Number(body.seq) - 1) } });
    expect(body.checkpoint).toBe(`${body.seq}:${body.hash}`);
    expect((await verify(body.checkpoint)).json()).toMatchObject({ ok: true, checkpoint: { found: true } });
  });

  it('refuses a checkpoint to roles that may not read the audit trail, and records the refusal', async () => {
    const res = await t.http({ method: 'POST', url: '/v1/audit/checkpoints', headers: { authorization: `Bearer ${await t.token('carol', 'manager')}` } });
    expect(res.statusCode).toBe(403);
    const { rows } = await t.database.query(`select action, outcome, actor_sub from audit_events order by seq desc limit 1`);
    expect(rows[0]).toEqual({ action: 'checkpoint', outcome: 'denied', actor_sub: 'carol' });
  });

  it('names the row a superuser edited with the trigger disabled', async () => {
    const { rows } = await t.database.query(`select seq, event_id, actor_sub from audit_events where action = 'update' limit 1`);
    const target = rows[0];
    await asSuperuserWithoutTriggers(`update audit_events set actor_sub = 'framed-colleague' where seq = $1`, [target.seq]);
    try {
      const res = await verify();
      expect(res.json()).toMatchObject({
        ok: false,
        verified: Number(target.seq) - 1,
        firstBroken: { seq: target.seq, eventId: target.event_id, problem: expect.stringMatching(/content does not match its hash/) },
      });
      const cli = await runCli('audit', ['verify'], { DATABASE_URL: t.database.url });
      expect(cli.code).toBe(3);
      expect(JSON.parse(cli.stdout).firstBroken.seq).toBe(target.seq);
      // No checkpoint over a broken chain: 409 naming the link, and the refusal is recorded.
      const refused = await t.http({ method: 'POST', url: '/v1/audit/checkpoints', headers: { authorization: `Bearer ${await t.token('eve', 'auditor')}` } });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'CHAIN_BROKEN', firstBroken: { seq: target.seq } });
      const last = await t.database.query(`select action, outcome from audit_events order by seq desc limit 1`);
      expect(last.rows[0]).toEqual({ action: 'checkpoint', outcome: 'denied' });
    } finally {
      await asSuperuserWithoutTriggers(`update audit_events set actor_sub = $2 where seq = $1`, [target.seq, target.actor_sub]);
    }
    expect((await verify()).json().ok).toBe(true);
  });

  it('catches rows deleted from the end with a published checkpoint', async () => {
    const published = await runCli('audit', ['checkpoint'], { DATABASE_URL: t.database.url });
    expect(published.code).toBe(0);
    const checkpoint = published.stdout.trim();
    expect(checkpoint).toMatch(/^\d+:[0-9a-f]{64}$/);
    const checkpointEvent = await t.database.query(`select action, channel, actor_sub from audit_events order by seq desc limit 1`);
    expect(checkpointEvent.rows[0]).toMatchObject({ action: 'checkpoint', channel: 'cli' });
    expect((await verify(checkpoint)).json()).toMatchObject({ ok: true, checkpoint: { found: true } });

    // The thief removes the newest rows (his own reads): the shorter chain is still
    // internally valid, but it no longer contains the published checkpoint.
    const seq = checkpoint.split(':')[0];
    await asSuperuserWithoutTriggers(`delete from audit_events where seq >= $1 - 2`, [seq]);
    // The CLI only reads, so the shortened chain is inspected as the thief left it.
    const plain = await runCli('audit', ['verify'], { DATABASE_URL: t.database.url });
    expect(plain.code).toBe(0);
    const cli = await runCli('audit', ['verify', '--checkpoint', checkpoint], { DATABASE_URL: t.database.url });
    expect(cli.code).toBe(3);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      ok: false,
      checkpoint: { found: false },
      firstBroken: { seq, problem: expect.stringMatching(/removed from the end/) },
    });
    expect((await verify(checkpoint)).json()).toMatchObject({ ok: false, checkpoint: { found: false } });
    // Four CLI processes, each starting tsx: seconds apiece on a busy 2-core machine.
  }, 120_000);

  it('refuses a malformed checkpoint with 400', async () => {
    expect((await verify('12:nothex')).statusCode).toBe(400);
  });
});

describe('database privileges', () => {
  it('lets the service role insert and read audit rows but never change or remove them', async () => {
    const asService = (statement: string) => t.database.session([['set role fieldguard_app'], [statement]]);
    await expect(asService(`update audit_events set reason = 'x'`)).rejects.toThrow(/permission denied/);
    await expect(asService(`delete from audit_events`)).rejects.toThrow(/permission denied/);
    await expect(asService(`truncate audit_events`)).rejects.toThrow(/permission denied/);
    await expect(asService(`alter table audit_events disable trigger user`)).rejects.toThrow(/must be owner|permission denied/);
    const { rows } = await t.database.query(`select tableowner from pg_tables where tablename = 'audit_events'`);
    expect(rows[0].tableowner).not.toBe('fieldguard_app');
  });

  // On a PostgreSQL server only: on embedded PGlite every connection is one session, so
  // the role set here would be every connection's, the test's own included.
  it.skipIf(!onServer)('runs the service as fieldguard_app: reads, writes and audit work', async () => {
    const db = openDatabase({ url: t.database.url, poolMax: 1, preparedStatements: t.database.preparedStatements, log: pino({ level: 'silent' }) });
    await sql`set role fieldguard_app`.execute(db);
    const config = loadConfig({ DATABASE_URL: t.database.url, AUTH_JWKS_URL: t.idp.jwksUrl, AUTH_ISSUER: 'https://idp.test.local/', AUTH_AUDIENCE: 'fieldguard', MIGRATE_ON_START: 'false', LOG_LEVEL: 'silent' });
    const app = await buildApp(config, { db });
    try {
      const headers = { authorization: `Bearer ${await t.token('root', 'admin')}`, 'x-request-id': 'as-service-role' };
      expect((await httpFor(app)({ url: `/v1/customers/${giuliaId}`, headers })).statusCode).toBe(200);
      expect((await httpFor(app)({ method: 'PATCH', url: `/v1/customers/${giuliaId}`, headers, payload: { notes: 'as service' } })).statusCode).toBe(200);
      const { rows } = await t.database.query(`select count(*)::int as n from audit_events where request_id = 'as-service-role'`);
      expect(rows[0].n).toBe(2);
    } finally {
      await app.close();
    }
  });
});
