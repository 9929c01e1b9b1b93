import { parseArgs } from 'node:util';
import type { AuditCommand } from '../audit.js';
import { followFeed, type TailFormat } from './follow-feed.js';

const FORMATS: TailFormat[] = ['ndjson', 'ocsf', 'ecs'];

/**
 * `npm run audit -- tail [--url URL] [--cursor-file FILE] [--format ndjson|ocsf|ecs]
 * [--interval SECONDS] [--once]`: follows the audit feed over HTTP, as a SIEM forwarder
 * would, and prints one event per line. The token comes from FIELDGUARD_TOKEN, never
 * from the command line, where other users of the machine could read it.
 */
export const tail: AuditCommand = async (_config, args) => {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 8080}` },
      'cursor-file': { type: 'string' },
      format: { type: 'string', default: 'ndjson' },
      interval: { type: 'string', default: '5' },
      once: { type: 'boolean', default: false },
    },
  });
  const token = process.env.FIELDGUARD_TOKEN;
  if (!token) throw new Error('Set FIELDGUARD_TOKEN to a token with an auditor or admin role.');
  const format = values.format as TailFormat;
  if (!FORMATS.includes(format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
  const interval = Number(values.interval);
  if (!(interval > 0 && interval <= 3600)) throw new Error('--interval must be 0 < seconds <= 3600');
  if (!/^https?:\/\//.test(values.url)) throw new Error('--url must be an http:// or https:// URL');

  // Ctrl-C or a stop signal ends the current wait; a page already fetched is finished first.
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  await followFeed({
    baseUrl: values.url,
    token,
    format,
    cursorFile: values['cursor-file'],
    intervalMs: interval * 1000,
    once: values.once,
    out: process.stdout,
    signal: stop.signal,
    onRetry: (message) => process.stderr.write(`${message}; retrying in ${interval} s\n`),
  }).catch((err: unknown) => {
    if (!stop.signal.aborted) throw err;
  });
  return 0;
};
