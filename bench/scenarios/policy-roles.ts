import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { compareVariants, devToken, table } from '../lib/compare.js';

/** The default policy (5 roles) grown to `total` roles, each with rules of its own. */
function policyWithRoles(total: number): string {
  const extra = Array.from({ length: total - 5 }, (_, i) =>
    [
      `  team${i}:`,
      '    inherits: [agent]',
      '    can:',
      '      - actions: [read]',
      '        subject: Customer',
      '        fields: [address]',
      `        when: { assignees: { contains: team${i}-lead } }`,
    ].join('\n'),
  );
  return `${readFileSync(DEFAULT_POLICY_FILE, 'utf8')}\n${extra.join('\n')}\n`;
}

/** Issue 3: masked-read throughput with 5 roles and with 50 roles in the policy. */
export async function policyRoles(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldguard-bench-'));
  const files = { 5: join(dir, 'roles-5.yaml'), 50: join(dir, 'roles-50.yaml') };
  writeFileSync(files[5], readFileSync(DEFAULT_POLICY_FILE));
  writeFileSync(files[50], policyWithRoles(50));
  const rows = await compareVariants(
    [
      { name: '5 roles', env: { POLICY_FILE: files[5] } },
      { name: '50 roles', env: { POLICY_FILE: files[50] } },
    ],
    async (ids, run) => ({ path: `/v1/customers/${ids[5000]}`, headers: { authorization: `Bearer ${await devToken(`bench-agent-${run}`, ['agent'])}` } }),
  );
  return `REST single masked read (agent), policy size\n\n${table('policy', rows)}`;
}
