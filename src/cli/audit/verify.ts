import { parseArgs } from 'node:util';
import { parseCheckpoint, verifyChain } from '../../audit/verify-chain.js';
import type { AuditCommand } from '../audit.js';
import { openCliDatabase } from '../cli-database.js';

/**
 * `npm run audit -- verify [--checkpoint SEQ:HASH]`: walks the chain and prints the
 * report as JSON; exits 0 when intact, 3 when a link is broken.
 */
export const verify: AuditCommand = async (config, args) => {
  const { values } = parseArgs({ args, options: { checkpoint: { type: 'string' } } });
  const checkpoint = values.checkpoint ? parseCheckpoint(values.checkpoint) : null;
  if (values.checkpoint && !checkpoint) throw new Error('--checkpoint must be SEQ:HASH as printed by `npm run audit -- checkpoint`');
  const { db, close } = await openCliDatabase(config);
  try {
    const report = await verifyChain(db, checkpoint);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 3;
  } finally {
    await close();
  }
};
