import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../helpers/http-client.js';
import { REPLAY_BOUNDS } from '../../src/core/policy-replay.service.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// A replay over a real port: people read customers as agents and an assistant, then
// candidates are replayed against what they read. Every expected figure is counted by
// hand from the reads this file makes (and the ids the service answered with).

const DEFAULT = readFileSync(DEFAULT_POLICY_FILE, 'utf8');

/** The default policy with `from` replaced by `to`, checked to have been there. */
function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

/** Agents read the e-mail masked instead of in clear. */
const MASK_EMAIL = edit(
  edit(DEFAULT, 'fields: [id, fullName, email, notes, privacyLevel, marketingOptOut, createdAt, updatedAt]', 'fields: [id, fullName, notes, privacyLevel, marketingOptOut, createdAt, updatedAt]'),
  '      - actions: [read_masked]\n        subject: Customer\n        fields: [phone]\n',
  '      - actions: [read_masked]\n        subject: Customer\n        fields: [phone, email]\n',
);

/** Confidential customers exist for nobody but admins, assigned or not. */
const HIDE_CONFIDENTIAL = edit(
  edit(DEFAULT, '    - privacyLevel: { ne: confidential }\n    - assignees: { contains: $principal.sub }\n', '    - privacyLevel: { ne: confidential }\n'),
  'when: { assignees: { contains: $principal.sub } }',
  'when: { assignees: { contains: $principal.sub }, privacyLevel: { ne: confidential } }',
);

/** Agents see every customer's name, confidential or not. */
const NAMES_FOR_ALL = edit(
  DEFAULT,
  '        approvers: [manager]\n        maxMinutes: 30\n    can:\n',
  '        approvers: [manager]\n        maxMinutes: 30\n    can:\n      - { actions: [read], subject: Customer, fields: [id, fullName] }\n',
);

let t: TestApp;
let ids: Record<string, string>;
let alicesList: string[];
let gone: string;
const headers: Record<string, Record<string, string>> = {};

async function get(who: string, url: string, status = 200) {
  const res = await t.http({ url, headers: headers[who] });
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

const replay = (yaml: string, query = '?days=7', who = 'root') =>
  t.http({ method: 'POST', url: `/v1/policy/replay${query}`, headers: { ...headers[who], 'content-type': 'application/yaml' }, payload: yaml });

beforeAll(async () => {
  t = await startTestApp();
  const { rows } = await t.database.query('select id, full_name from customers');
  ids = Object.fromEntries(rows.map((r) => [r.full_name, r.id]));
  for (const [sub, role] of [['alice', 'agent'], ['bob', 'agent'], ['carl', 'agent'], ['dora', 'assistant'], ['root', 'admin']] as const) {
    headers[sub] = { authorization: `Bearer ${await t.token(sub, role)}` };
  }
  // Vittoria Colonna is confidential and assigned to alice (the demo data).
  await get('alice', `/v1/customers/${ids['Giulia Marchetti']}`);
  await get('alice', `/v1/customers/${ids['Giulia Marchetti']}`);
  const vittoria = await get('alice', `/v1/customers/${ids['Vittoria Colonna']}`);
  expect(vittoria.phone).not.toContain('X');
  alicesList = (await get('alice', '/v1/customers?limit=100')).items.map((c: { id: string }) => c.id);
  expect(alicesList).toContain(ids['Vittoria Colonna']);
  await get('carl', `/v1/customers/${ids['Luca Bernardi']}`);
  await get('bob', `/v1/customers/${ids['Vittoria Colonna']}`, 404);
  await get('dora', `/v1/customers/${ids['Giulia Marchetti']}`);
  // A customer alice read, deleted since: the replay cannot decide that read.
  const created = await t.http({ method: 'POST', url: '/v1/customers', headers: headers.root, payload: { fullName: 'Temp Orary' } });
  expect(created.statusCode, created.body).toBe(201);
  gone = created.json().id;
  await get('alice', `/v1/customers/${gone}`);
  expect((await t.http({ method: 'DELETE', url: `/v1/customers/${gone}`, headers: headers.root })).statusCode).toBe(204);
}, 120_000);
afterAll(() => t?.close());

describe('POST /v1/policy/replay', () => {
  it('counts the reads and records whose e-mail agents would see masked, and who would lose it', async () => {
    const res = await replay(MASK_EMAIL);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const n = alicesList.length;
    // alice: 2 + 1 + n + 1 (gone); carl 1; bob 1 (refused); dora 1.
    expect(body.totals).toEqual({ reads: 7 + n, changed: 4 + n, unchanged: 2, recordGone: 1, undecided: 0 });
    const agentRecords = new Set([...alicesList, ids['Luca Bernardi']]).size;
    expect(body.changes).toEqual([{ roles: 'agent', resource: 'Customer', field: 'email', change: 'clear -> masked', reads: 4 + n, records: agentRecords }]);
    expect(body.losses).toEqual([
      { sub: 'alice', resource: 'Customer', field: 'email', change: 'clear -> masked', reads: 3 + n, records: n },
      { sub: 'carl', resource: 'Customer', field: 'email', change: 'clear -> masked', reads: 1, records: 1 },
    ]);
    expect(body.unknown).toEqual([{ roles: 'agent', resource: 'Customer', field: null, reason: 'record gone', reads: 1, records: 1 }]);
    // alice's list showed her own customer's phone in clear and the others' masked: the
    // record's own outcome came from the policy in force, so no phone change is invented.
    expect(body.inferred).toBe(n);
    expect(body.policy.candidate).not.toBe(body.policy.inForce);
    // The edit itself, whatever the trail holds: agents' e-mail goes from clear to masked on every record.
    expect(body.diff).toEqual([{ role: 'agent', subject: 'Customer.email', change: 'clear -> masked (email)', when: null, text: 'agent  Customer.email  clear -> masked (email)' }]);
    expect(body.window.days).toBe(7);
    // Events: alice 5 (two reads, Vittoria, the list, the gone one), carl, bob and dora 1 each.
    expect(body.scanned).toMatchObject({ events: 8, truncated: false });
    expect(body.limits.join('\n')).toMatch(/as they are now, not as they were/);
    expect(body.limits.join('\n')).toMatch(/1 record read\(s\) are counted as unknown \(record gone\)/);
  });

  it('shows confidential records a candidate hides: visible -> not visible, and every field alice read there', async () => {
    const body = (await replay(HIDE_CONFIDENTIAL)).json();
    // Vittoria, read by id and in the list.
    expect(body.changes).toEqual([{ roles: 'agent', resource: 'Customer', field: null, change: 'visible -> not visible', reads: 2, records: 1 }]);
    expect(body.losses).toContainEqual({ sub: 'alice', resource: 'Customer', field: 'phone', change: 'clear -> not visible', reads: 2, records: 1 });
    expect(body.losses).toContainEqual({ sub: 'alice', resource: 'Customer', field: 'email', change: 'clear -> not visible', reads: 2, records: 1 });
    expect(body.losses.every((l: { sub: string }) => l.sub === 'alice')).toBe(true);
    expect(body.losses.some((l: { field: string }) => l.field === 'iban')).toBe(false);
    // The diff says the same of every role, read or not, and on which records.
    expect(body.diff).toContainEqual({
      role: 'agent',
      subject: 'Customer',
      change: 'records visible -> hidden',
      when: ['privacyLevel is confidential and assignees contains you'],
      text: 'agent  Customer  records visible -> hidden (records where privacyLevel is confidential and assignees contains you)',
    });
  });

  it('shows the reverse: a record refused as not found that the candidate would show', async () => {
    const body = (await replay(NAMES_FOR_ALL)).json();
    expect(body.changes).toEqual([{ roles: 'agent', resource: 'Customer', field: null, change: 'not visible -> visible', reads: 1, records: 1 }]);
    expect(body.losses).toEqual([]);
  });

  it('reads the trail in batches and stops at its cap on work, saying so', async () => {
    const saved = { ...REPLAY_BOUNDS };
    // The app runs in this process: lower its bounds for one replay.
    Object.assign(REPLAY_BOUNDS, { batch: 2, maxEvents: 3 });
    try {
      const body = (await replay(MASK_EMAIL)).json();
      // The first three events: alice's two reads of Giulia and her read of Vittoria.
      expect(body.scanned).toMatchObject({ events: 3, truncated: true });
      expect(body.totals).toEqual({ reads: 3, changed: 3, unchanged: 0, recordGone: 0, undecided: 0 });
      expect(body.changes).toEqual([{ roles: 'agent', resource: 'Customer', field: 'email', change: 'clear -> masked', reads: 3, records: 2 }]);
      expect(body.limits.join('\n')).toContain(`reads recorded after ${body.scanned.replayedUntil} were not replayed`);
    } finally {
      Object.assign(REPLAY_BOUNDS, saved);
    }
  });

  it('finds no change replaying the policy in force', async () => {
    const body = (await replay(DEFAULT)).json();
    expect(body.diff).toEqual([]);
    expect(body.changes).toEqual([]);
    expect(body.losses).toEqual([]);
    expect(body.policy.candidate).toBe(body.policy.inForce);
  });

  it('is audited, for admins only, bounded in days, and refuses an invalid candidate with its problems', async () => {
    expect((await replay(DEFAULT, '?days=7', 'alice')).statusCode).toBe(403);
    const tooFar = await replay(DEFAULT, '?days=91');
    expect(tooFar.statusCode).toBe(400);
    expect(tooFar.json().code).toBe('VALIDATION_FAILED');
    const asJson = await t.http({ method: 'POST', url: '/v1/policy/replay', headers: headers.root, payload: { policy: DEFAULT } });
    expect(asJson.statusCode).toBe(415);
    expect(asJson.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the candidate policy as application/yaml.' });
    const invalid = await replay(edit(DEFAULT, 'inherits: [assistant]', 'inherits: [nobody]'));
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().problems.join('\n')).toMatch(/unknown role "nobody"/);
    const feed = await t.http({ url: '/v1/audit/events?action=replay&limit=100', headers: headers.root });
    const events = feed.json().items;
    expect(events.filter((e: { outcome: string }) => e.outcome === 'denied')).toHaveLength(1);
    const allowed = events.filter((e: { outcome: string }) => e.outcome === 'allowed');
    expect(allowed.length).toBeGreaterThanOrEqual(1);
    expect(allowed[0]).toMatchObject({ actor: { sub: 'root' }, resourceType: 'Policy', details: { days: 7, events: 8 } });
  });
});

describe('npm run policy -- replay', () => {
  it('prints the changes per role and field, the people who lose a field, and the limits; --json gives the endpoint’s answer', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-replay-')), 'candidate.yaml');
    writeFileSync(file, MASK_EMAIL);
    const env = { FIELDGUARD_TOKEN: await t.token('root', 'admin') };
    const url = await listenOnLoopback(t.app);
    const cli = await runCli('policy', ['replay', file, '--days', '7', '--url', url], env);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const n = alicesList.length;
    expect(cli.stdout).toMatch(new RegExp(`^  agent +Customer\\.email +clear -> masked +${4 + n} reads, ${new Set([...alicesList, ids['Luca Bernardi']]).size} records$`, 'm'));
    expect(cli.stdout).toMatch(/^ {2}carl +Customer\.email +clear -> masked +1 read, 1 record$/m);
    expect(cli.stdout).toMatch(/^ {2}agent +Customer +record gone +1 read, 1 record$/m);
    expect(cli.stdout).toContain('what a replay cannot know');
    const json = await runCli('policy', ['replay', file, '--json', '--url', url], env);
    expect(JSON.parse(json.stdout).changes).toHaveLength(1);
    const refused = await runCli('policy', ['replay', file, '--url', url], { FIELDGUARD_TOKEN: await t.token('alice', 'agent') });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the replay \(403 FORBIDDEN/);
  }, 60_000);
});
