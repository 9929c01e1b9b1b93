import { parseArgs } from 'node:util';
import { formatSummary } from './format-summary.js';
import { loadForCli } from './load.js';
import type { PolicyCommand } from './io.js';
import { summarize } from './summarize.js';

/**
 * `npm run policy -- check FILE [--json]`: validates the file with the service's own
 * loader (every problem listed, exit 1), then says what each role sees and may do.
 */
export const check: PolicyCommand = async (args, io) => {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length !== 1) {
    io.err('Usage: npm run policy -- check FILE [--json]');
    return 2;
  }
  const loaded = loadForCli(positionals[0]!, io);
  if (!loaded) return 1;
  const summary = summarize(loaded);
  if (values.json) {
    io.out(JSON.stringify({ valid: true, ...summary }, null, 2));
    return 0;
  }
  io.out(formatSummary(summary).join('\n'));
  const usesHash = summary.resources.some((r) => r.fields.some((f) => f.mask === 'hash'));
  if (usesHash && !process.env.POLICY_HASH_KEY) {
    io.err('note: this policy uses the hash mask; the service will refuse it unless POLICY_HASH_KEY is set');
  }
  return 0;
};
