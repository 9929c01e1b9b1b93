import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';
import { signDevToken } from '../helpers/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldguard-policy-'));
const policyFile = join(dir, 'policy.yaml');
copyFileSync(DEFAULT_POLICY_FILE, policyFile);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let t: TestApp;
let ids: Record<string, string>;
beforeAll(async () => {
  t = await startTestApp({ POLICY_FILE: policyFile });
  const { rows } = await t.database.query('select id, full_name from customers');
  ids = Object.fromEntries(rows.map((r) => [r.full_name, r.id]));
});
afterAll(() => t?.close());

const as = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });

describe('row-dependent field rules', () => {
  it('shows an agent the phone of customers assigned to it, masked elsewhere, in REST and GraphQL', async () => {
    const alice = await as('alice', 'agent');
    const mine = (await t.http({ url: `/v1/customers/${ids['Vittoria Colonna']}`, headers: alice })).json();
    expect(mine.phone).toBe('+39 335 700 8090');
    expect(mine._access.masked).not.toContain('phone');
    const other = (await t.http({ url: `/v1/customers/${ids['Giulia Marchetti']}`, headers: alice })).json();
    expect(other.phone).toBe('+39 XXX XXX XXXX');
    const gql = await graphql(t.app, await t.token('alice', 'agent'), `query($a: ID!, $b: ID!) { a: customer(id: $a) { phone } b: customer(id: $b) { phone } }`, {
      a: ids['Vittoria Colonna'],
      b: ids['Giulia Marchetti'],
    });
    expect(gql.body.data).toEqual({ a: { phone: '+39 335 700 8090' }, b: { phone: '+39 XXX XXX XXXX' } });
  });
});

describe('GET /v1/policy', () => {
  it('gives admins and auditors the version, load time and role -> field matrix', async () => {
    for (const [sub, role] of [['root', 'admin'], ['eve', 'auditor']] as const) {
      const res = await t.http({ url: '/v1/policy', headers: await as(sub, role) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.version).toBe(sha256(policyFile));
      expect(Date.parse(body.loadedAt)).not.toBeNaN();
      const phone = body.roles.agent.fields.Customer.phone;
      expect(phone[0]).toMatchObject({ decision: 'clear', when: { assignees: { $all: ['$principal.sub'] } } });
      expect(phone.some((g: { decision: string }) => g.decision === 'masked')).toBe(true);
      expect(body.roles.assistant.fields.Customer.iban).toEqual([]);
      expect(body.roles.admin.actions.Customer).toContain('export');
      expect(body.roles.agent.actions.Customer).not.toContain('export');
    }
  });

  it('is refused to other roles', async () => {
    expect((await t.http({ url: '/v1/policy', headers: await as('carol', 'manager') })).statusCode).toBe(403);
  });
});

describe('POST /v1/policy/preview', () => {
  const preview = async (principal: object, id: string, headers?: Record<string, string>) =>
    t.http({ method: 'POST', url: '/v1/policy/preview', headers: headers ?? (await as('root', 'admin')), payload: { principal, resource: 'Customer', id } });

  it('returns the record exactly as that principal receives it, with the deciding rule per field', async () => {
    const res = await preview({ sub: 'bob', roles: ['agent'] }, ids['Giulia Marchetti']!);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const actual = (await t.http({ url: `/v1/customers/${ids['Giulia Marchetti']}`, headers: await as('bob', 'agent') })).json();
    expect(body.visible).toBe(true);
    expect(body.object).toEqual(actual);
    expect(body.fields.phone).toEqual({ decision: 'masked', rule: 'roles.agent.can[1]', mask: 'digits' });
    expect(body.fields.email).toMatchObject({ decision: 'clear', rule: 'roles.agent.can[0]' });
    expect(body.fields.iban).toMatchObject({ decision: 'withheld' });
    const { rows } = await t.database.query(`select details from audit_events where action = 'preview' order by seq desc limit 1`);
    expect(rows[0].details).toMatchObject({ as: { sub: 'bob', roles: ['agent'] }, visible: true });
  });

  it('says when the record would not exist for that principal', async () => {
    const body = (await preview({ sub: 'bob', roles: ['agent'] }, ids['Vittoria Colonna']!)).json();
    expect(body).toMatchObject({ visible: false, object: null });
    const assigned = (await preview({ sub: 'alice', roles: ['agent'] }, ids['Vittoria Colonna']!)).json();
    expect(assigned.fields.phone).toMatchObject({ decision: 'clear', rule: 'roles.agent.can[2]' });
  });

  it('is for admins only, and validates its body', async () => {
    expect((await preview({ sub: 'x', roles: ['admin'] }, ids['Giulia Marchetti']!, await as('eve', 'auditor'))).statusCode).toBe(403);
    const bad = await t.http({ method: 'POST', url: '/v1/policy/preview', headers: await as('root', 'admin'), payload: { principal: { sub: 'x' }, resource: 'Customer', id: 'y' } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('reload', () => {
  it('applies a valid new file atomically for new requests and records the new version', async () => {
    const before = sha256(policyFile);
    // The edit: agents lose notes.
    writeFileSync(policyFile, readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('fields: [id, fullName, email, notes, privacyLevel,', 'fields: [id, fullName, email, privacyLevel,'));
    const res = await t.http({ method: 'POST', url: '/v1/policy/reload', headers: await as('root', 'admin') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ previous: before, current: sha256(policyFile) });
    const read = await t.http({ url: `/v1/customers/${ids['Giulia Marchetti']}`, headers: { ...(await as('alice', 'agent')), 'x-request-id': 'after-reload' } });
    expect(read.json()).not.toHaveProperty('notes');
    const { rows } = await t.database.query(`select policy_version from audit_events where request_id = 'after-reload'`);
    expect(rows[0].policy_version).toBe(sha256(policyFile));
  });

  it('refuses an invalid file with its problems and keeps the running policy', async () => {
    const running = sha256(policyFile);
    writeFileSync(policyFile, 'roles:\n  agent:\n    inherits: [ghost]\n');
    const res = await t.http({ method: 'POST', url: '/v1/policy/reload', headers: await as('root', 'admin') });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'POLICY_INVALID', problems: expect.arrayContaining([expect.stringContaining('resources')]) });
    const current = (await t.http({ url: '/v1/policy', headers: await as('root', 'admin') })).json();
    expect(current.version).toBe(running);
    expect((await t.http({ url: '/v1/customers', headers: await as('alice', 'agent') })).statusCode).toBe(200);
  });

  it('is refused to non-admins', async () => {
    expect((await t.http({ method: 'POST', url: '/v1/policy/reload', headers: await as('eve', 'auditor') })).statusCode).toBe(403);
  });

  it('happens on SIGHUP in the running server', async () => {
    copyFileSync(DEFAULT_POLICY_FILE, policyFile);
    const secret = 'sighup-test-secret-0123456789abcdef';
    const child = spawn(process.execPath, ['--import', 'tsx', projectFile('src', 'server.ts')], {
      env: { ...process.env, DATABASE_URL: t.database.url, PORT: '0', AUTH_DEV_SECRET: secret, POLICY_FILE: policyFile, LOG_LEVEL: 'warn', DEMO_DATA: 'false' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const base = await new Promise<string>((resolve) => {
        child.stdout.on('data', (c: Buffer) => {
          const m = /listening on (http:\/\/\S+)/.exec(c.toString());
          if (m) resolve(m[1]!);
        });
      });
      const headers = { authorization: `Bearer ${await signDevToken({ sub: 'root', roles: ['admin'] }, secret)}` };
      const version = async () => ((await (await fetch(`${base}/v1/policy`, { headers })).json()) as { version: string }).version;
      expect(await version()).toBe(sha256(policyFile));
      writeFileSync(policyFile, `${readFileSync(policyFile, 'utf8')}\n# edited\n`);
      child.kill('SIGHUP');
      let seen = '';
      for (let i = 0; i < 50 && seen !== sha256(policyFile); i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = await version();
      }
      expect(seen).toBe(sha256(policyFile));
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000); // starts a real server process: slow on a loaded machine
});
