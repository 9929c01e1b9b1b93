import { pino } from 'pino';
import { recordAuditEvent } from '../../audit/audit-trail.js';
import { createAuditWriter } from '../../audit/audit-writer.js';
import { verifyChain } from '../../audit/verify-chain.js';
import type { AuditCommand } from '../audit.js';
import { openCliDatabase } from '../cli-database.js';
import { cliAuditContext } from './cli-audit-context.js';

/**
 * `npm run audit -- checkpoint`: verifies the chain, records a checkpoint event and
 * prints `SEQ:HASH` of the new head. Store that line outside the database (a ticket,
 * a WORM bucket, a signed mail): `verify --checkpoint SEQ:HASH` later proves the
 * chain still holds it, which catches rows cut off the end.
 */
export const checkpoint: AuditCommand = async (config) => {
  const { db, close } = await openCliDatabase(config);
  const log = pino({ level: 'warn' });
  try {
    const before = await verifyChain(db);
    if (!before.ok) {
      process.stderr.write(`refusing to checkpoint a broken chain: ${JSON.stringify(before.firstBroken)}\n`);
      return 3;
    }
    const writer = createAuditWriter(db, log, { groupCommit: false });
    await recordAuditEvent(writer, log, cliAuditContext(config), {
      action: 'checkpoint',
      resourceType: 'AuditEvent',
      resourceIds: [],
      outcome: 'allowed',
      details: { verified: before.verified, previousHead: before.head },
    });
    const head = await db.selectFrom('auditEvents').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    process.stdout.write(`${head.seq}:${head.hash}\n`);
    return 0;
  } finally {
    await close();
  }
};
