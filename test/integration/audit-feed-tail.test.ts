import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followFeed, type TailFormat } from '../../src/cli/audit/follow-feed.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let baseUrl: string;
let dir: string;

beforeAll(async () => {
  t = await startTestApp();
  baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(join(tmpdir(), 'fieldguard-tail-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.close();
});

const readSome = async (n: number) => {
  const headers = { authorization: `Bearer ${await t.token('alice', 'agent')}` };
  for (let i = 0; i < n; i++) await t.http({ url: '/v1/customers?limit=2', headers });
};
const allIds = async () => (await t.database.query('select event_id from audit_events order by seq')).rows.map((r) => r.event_id as string);

/** One `tail --once` run over real HTTP with a real token; returns the printed lines. */
async function tailOnce(cursorFile: string, format: TailFormat = 'ndjson') {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  await followFeed({ baseUrl, token: await t.token('siem', 'auditor'), format, cursorFile, intervalMs: 10, once: true, limit: 4, out });
  return chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
}

describe('npm run audit -- tail', () => {
  it('prints every event once, saves the cursor, and on the next run prints only newer events', async () => {
    await readSome(9);
    const cursorFile = join(dir, 'nested', 'siem.cursor');
    const first = await tailOnce(cursorFile);
    expect(first.map((e) => e.eventId)).toEqual(await allIds());
    const cursor = (await readFile(cursorFile, 'utf8')).trim();
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);

    await readSome(3);
    const second = await tailOnce(cursorFile);
    expect(second.map((e) => e.eventId)).toEqual((await allIds()).slice(first.length));
    expect(second).toHaveLength(3);
    expect(await tailOnce(cursorFile)).toEqual([]);
  });

  it('prints OCSF or ECS events, one per line', async () => {
    const ocsf = await tailOnce(join(dir, 'ocsf.cursor'), 'ocsf');
    expect(ocsf.map((e) => e.metadata.uid)).toEqual(await allIds());
    const ecs = await tailOnce(join(dir, 'ecs.cursor'), 'ecs');
    expect(ecs.map((e) => e.event.id)).toEqual(await allIds());
  });

  it('stops with the feed refusal for a role without the audit feed', async () => {
    const run = followFeed({ baseUrl, token: await t.token('carol', 'manager'), format: 'ndjson', intervalMs: 10, once: false, out: new PassThrough() });
    await expect(run).rejects.toThrow(/feed answered 403 FORBIDDEN/);
  });
});
