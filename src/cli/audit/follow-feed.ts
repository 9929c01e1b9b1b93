import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';

export type TailFormat = 'ndjson' | 'ocsf' | 'ecs';

export interface FollowOptions {
  baseUrl: string;
  token: string;
  format: TailFormat;
  /** Where the resume position is kept between runs; none: start at the oldest event. */
  cursorFile?: string | undefined;
  /** Pause between polls once caught up. */
  intervalMs: number;
  /** Stop once caught up instead of polling forever. */
  once: boolean;
  limit?: number;
  out: Writable;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Transient failures while following (network, 5xx, 429): reported, then retried. */
  onRetry?: (message: string) => void;
}

/** A refusal by the feed; `retry` when waiting may help. Carries status and code, never data. */
export class FeedError extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
  }
}

/**
 * Follows the audit feed over HTTP and writes one JSON event per line to `out`. The
 * cursor is saved only after a page's lines were written, so a crash in between
 * re-delivers that page on the next run and never skips one (at-least-once; each
 * event keeps its id, so a consumer can drop duplicates). Returns the events written.
 */
export async function followFeed(o: FollowOptions): Promise<number> {
  // Write failures reach us through the write callback; this keeps the stream's own
  // 'error' event from also crashing the process before the error can be reported.
  const ignore = () => {};
  o.out.on('error', ignore);
  try {
    return await follow(o);
  } finally {
    o.out.off('error', ignore);
  }
}

async function follow(o: FollowOptions): Promise<number> {
  const limit = o.limit ?? 100;
  let cursor = o.cursorFile ? await readCursor(o.cursorFile) : null;
  let written = 0;
  while (!o.signal?.aborted) {
    let page: { lines: string[]; nextCursor: string | null };
    try {
      page = await fetchPage(o, cursor, limit);
    } catch (err) {
      if (o.once || !(err instanceof FeedError && err.retry) || o.signal?.aborted) throw err;
      o.onRetry?.(err.message);
      await sleep(o.intervalMs, o.signal);
      continue;
    }
    if (page.lines.length > 0) await writeOut(o.out, page.lines.join(''));
    written += page.lines.length;
    if (page.nextCursor !== null && page.nextCursor !== cursor) {
      cursor = page.nextCursor;
      if (o.cursorFile) await saveCursor(o.cursorFile, cursor);
    }
    if (page.lines.length === limit) continue; // more is waiting: no pause
    if (o.once) break;
    await sleep(o.intervalMs, o.signal);
  }
  return written;
}

async function fetchPage(o: FollowOptions, cursor: string | null, limit: number) {
  const url = new URL('/v1/audit/events', o.baseUrl);
  url.searchParams.set('format', o.format);
  url.searchParams.set('limit', String(limit));
  if (cursor) url.searchParams.set('after', cursor);
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${o.token}` }, signal: o.signal ?? null });
  } catch (err) {
    throw new FeedError(`feed unreachable (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`, true);
  }
  if (res.status !== 200) {
    const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
    const why = [problem.code, problem.detail].filter(Boolean).join(': ');
    throw new FeedError(`feed answered ${res.status}${why ? ` ${why}` : ''}`, res.status >= 500 || res.status === 429);
  }
  if (o.format === 'ndjson') {
    const lines = (await res.text()).split('\n').filter((l) => l.trim() !== '').map((l) => `${l}\n`);
    return { lines, nextCursor: res.headers.get('x-next-cursor') };
  }
  const body = (await res.json()) as { items: unknown[]; nextCursor: string | null };
  return { lines: body.items.map((e) => `${JSON.stringify(e)}\n`), nextCursor: body.nextCursor };
}

async function readCursor(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim() || null;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
}

/** Write-then-rename: a crash leaves the old cursor or the new one, never half of one. */
async function saveCursor(file: string, cursor: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${cursor}\n`);
  await rename(`${file}.tmp`, file);
}

/** Resolves once `out` has taken the chunk (for stdout: handed to the OS). */
const writeOut = (out: Writable, chunk: string) =>
  new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
