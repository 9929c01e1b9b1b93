import { pino } from 'pino';
import { recordAuditEvent } from '../../audit/audit-trail.js';
import { createAuditWriter } from '../../audit/audit-writer.js';
import { recordCheckpoint } from '../../audit/checkpoint.js';
import type { AuditCommand } from '../audit.js';
import type { RunningService } from '../running-service.js';
import { openAuditTarget } from './audit-target.js';
import { cliAuditContext } from './cli-audit-context.js';

/**
 * `npm run audit -- checkpoint`: verifies the chain, records a checkpoint event and
 * prints its `SEQ:HASH`. Store that line outside the database (a ticket, a WORM bucket,
 * a signed mail): `verify --checkpoint SEQ:HASH` later proves the chain still holds it,
 * which catches rows cut off the end. When a running service holds the PGlite folder,
 * the service records it (POST /v1/audit/checkpoints).
 */
export const checkpoint: AuditCommand = async (config) => {
  const target = await openAuditTarget(config, 'npm run audit -- checkpoint');
  if (target.kind === 'service') return checkpointThrough(target.service);
  const log = pino({ level: 'warn' });
  try {
    const writer = createAuditWriter(target.db, log, { groupCommit: false });
    const context = cliAuditContext(config);
    const result = await recordCheckpoint(target.db, (decision) => recordAuditEvent(writer, log, context, decision));
    if (!result.ok) return refuse(result.report.firstBroken);
    process.stdout.write(`${result.checkpoint.seq}:${result.checkpoint.hash}\n`);
    return 0;
  } finally {
    await target.close();
  }
};

async function checkpointThrough(service: RunningService): Promise<number> {
  const { status, body } = await service.request('POST', '/v1/audit/checkpoints');
  if (status === 409) return refuse(body.firstBroken);
  if (status !== 201) throw new Error(`the service answered ${status} ${String(body.code ?? '')}: ${String(body.detail ?? '')}`);
  process.stdout.write(`${String(body.checkpoint)}\n`);
  return 0;
}

function refuse(firstBroken: unknown): number {
  process.stderr.write(`refusing to checkpoint a broken chain: ${JSON.stringify(firstBroken)}\n`);
  return 3;
}
