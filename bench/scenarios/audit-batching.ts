import { compareVariants, devToken, table } from '../lib/compare.js';

/** Issue 4: audit group commit on and off, REST single masked read (agent). */
export async function auditBatching(): Promise<string> {
  const rows = await compareVariants(
    [
      { name: 'one transaction per row', env: { AUDIT_GROUP_COMMIT: 'false' } },
      { name: 'group commit', env: { AUDIT_GROUP_COMMIT: 'true' } },
    ],
    async (ids, run) => ({ path: `/v1/customers/${ids[5000]}`, headers: { authorization: `Bearer ${await devToken(`bench-agent-${run}`, ['agent'])}` } }),
  );
  return `REST single masked read (agent), audit write strategy\n\n${table('audit write', rows)}`;
}
