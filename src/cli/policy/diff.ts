import { parseArgs } from 'node:util';
import { recordsPhrase } from './describe-set.js';
import { diffPolicies, type PolicyChange } from './diff-policies.js';
import { loadForCli } from './load.js';
import type { PolicyCommand } from './io.js';

/** `agent  Customer.phone  masked (digits) -> clear (records where assignees contains you)` */
export function formatChange(c: PolicyChange): string {
  const who = c.role ? `${c.role}  ` : '';
  return `${who}${c.subject}  ${c.change}${c.when ? ` (${recordsPhrase(c.when)})` : ''}`;
}

/**
 * `npm run policy -- diff OLD NEW [--json]`: what the edit from OLD to NEW changes, per
 * role and field, so a reviewer sees its effect before it ships. Exit 0 whatever the
 * changes; 1 only when a file is invalid (with every problem of both files).
 */
export const diff: PolicyCommand = async (args, io) => {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length !== 2) {
    io.err('Usage: npm run policy -- diff OLD NEW [--json]');
    return 2;
  }
  const [oldFile, newFile] = positionals as [string, string];
  const [before, after] = [loadForCli(oldFile, io), loadForCli(newFile, io)];
  if (!before || !after) return 1;
  const changes = diffPolicies(before, after);
  if (values.json) {
    io.out(JSON.stringify({ old: { file: oldFile, version: before.policy.version }, new: { file: newFile, version: after.policy.version }, changes }, null, 2));
    return 0;
  }
  io.out(`old  ${oldFile}  sha256:${before.policy.version.slice(0, 12)}`);
  io.out(`new  ${newFile}  sha256:${after.policy.version.slice(0, 12)}`);
  if (changes.length === 0) io.out('no change in what any role sees or may do');
  else io.out(['', ...changes.map(formatChange)].join('\n'));
  return 0;
};
