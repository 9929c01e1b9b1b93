import { parseArgs } from 'node:util';
import { parseCheckpoint, verifyChain } from '../../audit/verify-chain.js';
import type { AuditCommand } from '../audit.js';
import { openAuditTarget } from './audit-target.js';

/**
 * `npm run audit -- verify [--checkpoint SEQ:HASH]`: walks the chain and prints the
 * report as JSON; exits 0 when intact, 3 when a link is broken. When a running service
 * holds the PGlite folder, the service walks it (GET /v1/audit/verify).
 */
export const verify: AuditCommand = async (config, args) => {
  const { values } = parseArgs({ args, options: { checkpoint: { type: 'string' } } });
  const checkpoint = values.checkpoint ? parseCheckpoint(values.checkpoint) : null;
  if (values.checkpoint && !checkpoint) throw new Error('--checkpoint must be SEQ:HASH as printed by `npm run audit -- checkpoint`');
  const target = await openAuditTarget(config, 'npm run audit -- verify');
  if (target.kind === 'service') {
    const query = checkpoint ? `?checkpoint=${checkpoint.seq}:${checkpoint.hash}` : '';
    const { status, body } = await target.service.request('GET', `/v1/audit/verify${query}`);
    if (status !== 200) throw new Error(`the service answered ${status} ${String(body.code ?? '')}: ${String(body.detail ?? '')}`);
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return body.ok === true ? 0 : 3;
  }
  try {
    const report = await verifyChain(target.db, checkpoint);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 3;
  } finally {
    await target.close();
  }
};
