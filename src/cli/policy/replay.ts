import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PolicyReplay } from '../../core/policy-replay.service.js';
import { formatReplay } from './format-replay.js';
import { loadForCli } from './load.js';
import type { PolicyCommand } from './io.js';

const USAGE = 'Usage: npm run policy -- replay CANDIDATE [--days N] [--json] [--url URL]   (token in FIELDGUARD_TOKEN)';

/**
 * `npm run policy -- replay CANDIDATE --days 7`: the reads of the last days decided again
 * under CANDIDATE, by the running service (`POST /v1/policy/replay`), which holds the trail
 * and the records, bounds the work and audits it. The token comes from FIELDGUARD_TOKEN,
 * never the command line (other users of the machine can read it there); it needs a role
 * that may reload the policy (admin). Exit 0 whatever the changes; 1 when the candidate
 * is invalid or the service refuses.
 */
export const replay: PolicyCommand = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      days: { type: 'string', default: '7' },
      json: { type: 'boolean', default: false },
      url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 8080}` },
    },
    allowPositionals: true,
  });
  const days = Number(values.days);
  if (positionals.length !== 1 || !Number.isInteger(days) || days < 1 || days > 90) {
    io.err(`${USAGE}\n  --days is a whole number from 1 to 90 (default 7)`);
    return 2;
  }
  const file = positionals[0]!;
  // Checked here first, so problems are named with this file's path and lines.
  if (!loadForCli(file, io)) return 1;
  const token = process.env.FIELDGUARD_TOKEN;
  if (!token) {
    io.err('Set FIELDGUARD_TOKEN to a token of a role that may reload the policy (admin).');
    return 1;
  }
  if (!/^https?:\/\//.test(values.url)) {
    io.err('--url must be an http:// or https:// URL');
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(new URL(`/v1/policy/replay?days=${days}`, values.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml', 'user-agent': 'fieldguard-cli' },
      body: readFileSync(file),
    });
  } catch (err) {
    io.err(`cannot reach the service at ${values.url} (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name}): is it running? --url says where`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status !== 200) {
    io.err(`the service refused the replay (${res.status} ${String(body.code ?? '')}: ${String(body.detail ?? '')})`);
    for (const problem of Array.isArray(body.problems) ? body.problems : []) io.err(`  ${String(problem)}`);
    return 1;
  }
  io.out(values.json ? JSON.stringify(body, null, 2) : formatReplay(file, body as unknown as PolicyReplay).join('\n'));
  return 0;
};
