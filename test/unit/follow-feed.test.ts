import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { followFeed } from '../../src/cli/audit/follow-feed.js';

const dir = await mkdtemp(join(tmpdir(), 'fieldguard-follow-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A feed of `events` answering like the service: ndjson pages with X-Next-Cursor. */
function fakeFeed(events: string[], failures: number[] = []) {
  const calls: string[] = [];
  const fetchFn = (async (input: URL) => {
    calls.push(input.search);
    const status = failures.shift();
    if (status) return new Response(JSON.stringify({ code: 'AUDIT_UNAVAILABLE' }), { status });
    const after = Number(input.searchParams.get('after') ?? 0);
    const page = events.slice(after, after + Number(input.searchParams.get('limit')));
    const next = String(after + page.length);
    return new Response(page.map((e) => `{"eventId":"${e}"}\n`).join(''), { headers: { 'x-next-cursor': next } });
  }) as unknown as typeof fetch;
  return { fetchFn, calls };
}

const collect = () => {
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (c: Buffer) => lines.push(...c.toString('utf8').split('\n').filter(Boolean)));
  return { out, lines };
};

describe('followFeed', () => {
  it('saves the cursor only after the lines were written: a failed write re-delivers, never skips', async () => {
    const cursorFile = join(dir, 'crash.cursor');
    await writeFile(cursorFile, '1\n');
    const feed = fakeFeed(['a', 'b', 'c', 'd']);
    const broken = new Writable({ write: (_c, _e, done) => done(new Error('EPIPE')) });
    const opts = { baseUrl: 'http://feed.invalid', token: 't', format: 'ndjson' as const, cursorFile, intervalMs: 1, once: true, limit: 2, fetch: feed.fetchFn };
    await expect(followFeed({ ...opts, out: broken })).rejects.toThrow('EPIPE');
    expect((await readFile(cursorFile, 'utf8')).trim()).toBe('1');
    const { out, lines } = collect();
    expect(await followFeed({ ...opts, out })).toBe(3);
    expect(lines).toEqual(['{"eventId":"b"}', '{"eventId":"c"}', '{"eventId":"d"}']);
    expect((await readFile(cursorFile, 'utf8')).trim()).toBe('4');
  });

  it('while following, retries a feed that is briefly unavailable', async () => {
    const feed = fakeFeed(['a'], [503]);
    const { out, lines } = collect();
    const stop = new AbortController();
    const retries: string[] = [];
    const run = followFeed({ baseUrl: 'http://feed.invalid', token: 't', format: 'ndjson', intervalMs: 1, once: false, out, fetch: feed.fetchFn, signal: stop.signal, onRetry: (m) => retries.push(m) });
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    expect(await run).toBe(1);
    expect(retries).toEqual(['feed answered 503 AUDIT_UNAVAILABLE']);
  });

  it('with --once, a refusal is an error, not a retry', async () => {
    const feed = fakeFeed([], [503]);
    const run = followFeed({ baseUrl: 'http://feed.invalid', token: 't', format: 'ndjson', intervalMs: 1, once: true, out: new PassThrough(), fetch: feed.fetchFn });
    await expect(run).rejects.toThrow('feed answered 503 AUDIT_UNAVAILABLE');
  });
});
