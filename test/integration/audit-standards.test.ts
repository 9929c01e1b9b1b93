import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { driveCliAndAbortedExport } from '../helpers/audit-scenario-extra.js';
import { driveEveryEventKind, writeScenarioPolicy } from '../helpers/audit-scenario.js';
import { loadEcsFields, validateEcsDocument } from '../helpers/ecs-validate.js';
import { loadOcsfSchema } from '../helpers/ocsf-schema.js';
import { contractSchema } from '../helpers/openapi-schema.js';
import { validateOcsfEvent } from '../helpers/ocsf-validate.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The feed as a SIEM receives it, checked against the standards it claims: every event
// the scenario makes the real service write, read back through GET /v1/audit/events.

/** Every action the service writes, with the outcomes it writes it with. */
const KINDS: Record<string, Array<'allowed' | 'denied'>> = {
  read: ['allowed', 'denied'],
  list: ['allowed', 'denied'],
  create: ['allowed', 'denied'],
  update: ['allowed', 'denied'],
  delete: ['allowed', 'denied'],
  export: ['allowed', 'denied'],
  'export.records': ['allowed'],
  'export.completed': ['allowed'],
  'export.aborted': ['allowed'],
  audience: ['allowed', 'denied'],
  upload: ['allowed', 'denied'],
  download: ['allowed', 'denied'],
  authenticate: ['denied'],
  verify: ['allowed', 'denied'],
  report: ['allowed', 'denied'],
  preview: ['allowed', 'denied'],
  reload: ['allowed', 'denied'],
  replay: ['allowed', 'denied'],
  'access.requested': ['allowed', 'denied'],
  'access.approved': ['allowed', 'denied'],
  'access.denied': ['allowed', 'denied'],
  'access.break_glass': ['allowed', 'denied'],
  'access.expired': ['allowed'],
  'access.revoked': ['allowed', 'denied'],
  check: ['allowed'],
  access_review: ['allowed', 'denied'],
  'access_review.attested': ['allowed', 'denied'],
  checkpoint: ['allowed'],
  'retention.applied': ['allowed'],
  'anomaly.bulk_access': ['allowed', 'denied'],
  'subject.erased': ['allowed', 'denied'],
  'subject.hold': ['allowed', 'denied'],
  'subject.released': ['allowed', 'denied'],
  'subject.access_report': ['allowed', 'denied'],
  inventory: ['allowed', 'denied'],
  'retention.dry_run': ['allowed', 'denied'],
  'incident.scope': ['allowed', 'denied'],
};

let t: TestApp;
const feeds: Record<'json' | 'ocsf' | 'ecs', Array<Record<string, any>>> = { json: [], ocsf: [], ecs: [] };

async function readWholeFeed(format: keyof typeof feeds) {
  const headers = { authorization: `Bearer ${await t.token('eve', 'auditor')}` };
  for (let after = ''; ; ) {
    const res = await t.http({ url: `/v1/audit/events?format=${format}&limit=100${after && `&after=${after}`}`, headers });
    expect(res.statusCode).toBe(200);
    const page = res.json();
    if (page.items.length === 0) return;
    feeds[format].push(...page.items);
    after = page.nextCursor;
  }
}

beforeAll(async () => {
  const policyFile = writeScenarioPolicy();
  t = await startTestApp({ POLICY_FILE: policyFile, RATE_LIMIT_MAX: '0', EXPORT_AUDIT_CHUNK: '5' });
  await driveEveryEventKind(t, policyFile);
  await driveCliAndAbortedExport(t, policyFile);
  // Successful feed reads are not audited, so the three reads see the same events.
  for (const format of ['json', 'ocsf', 'ecs'] as const) await readWholeFeed(format);
});
afterAll(() => t?.close());

describe('the scenario', () => {
  it('made the service write every kind of event, through every channel', () => {
    const written = new Set(feeds.json.map((e) => `${e.action} ${e.outcome}`));
    const expected = Object.entries(KINDS).flatMap(([action, outcomes]) => outcomes.map((o) => `${action} ${o}`));
    expect([...written].sort()).toEqual(expected.sort());
    expect(new Set(feeds.json.map((e) => e.channel))).toEqual(new Set(['rest', 'graphql', 'cli']));
    expect(feeds.ocsf).toHaveLength(feeds.json.length);
    expect(feeds.ecs).toHaveLength(feeds.json.length);
  });

  it('covers every action the source code writes', () => {
    // Literal actions in audit calls (`action: 'x'`) and the export ledger's record('x'),
    // and actions named by a constant (`action: EXPORT_RECORDS`, `export const EXPORT_RECORDS = 'x'`).
    const src = projectFile('src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const texts = files.map((f) => readFileSync(join(src, f), 'utf8'));
    const constants = new Map(texts.flatMap((text) => [...text.matchAll(/\bexport const ([A-Z][A-Z_]*) = '([a-z_.]+)'/g)].map((m) => [m[1]!, m[2]!] as const)));
    const literal = texts.flatMap((text) => [...text.matchAll(/(?:\baction: |\brecord\()'([a-z_.]+)'/g)].map((m) => m[1]!));
    const named = texts.flatMap((text) => [...text.matchAll(/\baction: ([A-Z][A-Z_]*)\b/g)].map((m) => constants.get(m[1]!) ?? `unresolved constant ${m[1]}`));
    expect(named).toContain('export.records');
    const actions = [...literal, ...named];
    expect(actions.length).toBeGreaterThan(20);
    expect([...new Set(actions)].filter((a) => !(a in KINDS))).toEqual([]);
  });
});

describe('OCSF 1.3.0', () => {
  const schema = loadOcsfSchema();

  it('every event is a valid API Activity: attributes, types, enums, siblings, constraints', () => {
    const invalid = feeds.ocsf
      .map((e) => ({ action: e.api?.operation, outcome: e.status, problems: validateOcsfEvent(schema, e) }))
      .filter((r) => r.problems.length > 0);
    expect(invalid).toEqual([]);
  });
});

describe('ECS 9.0.0', () => {
  const ecs = loadEcsFields();

  it('every document uses ECS fields with their types and allowed values, extras under fieldguard', () => {
    const invalid = feeds.ecs
      .map((d) => ({ action: d.event?.action, problems: validateEcsDocument(ecs, d, 'fieldguard') }))
      .filter((r) => r.problems.length > 0);
    expect(invalid).toEqual([]);
  });
});

describe('openapi.yaml', () => {
  it.each([
    ['json', 'AuditEventPage'],
    ['ocsf', 'OcsfEventPage'],
    ['ecs', 'EcsEventPage'],
  ] as const)('describes every %s event as sent (%s)', (format, page) => {
    const validate = contractSchema(page);
    const invalid = feeds[format].map((item, i) => ({ i, problems: validate({ items: [item], nextCursor: 'x' }) })).filter((r) => r.problems.length > 0);
    expect(invalid).toEqual([]);
  });
});
