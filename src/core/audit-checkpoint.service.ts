import { recordCheckpoint } from '../audit/checkpoint.js';
import { AppError } from '../errors.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

export interface CheckpointReply {
  /** `SEQ:HASH`, to store outside the database and pass to verify later. */
  checkpoint: string;
  seq: string;
  hash: string;
  eventId: string;
  /** Rows verified before the checkpoint event was appended. */
  verified: number;
}

/**
 * Records a checkpoint for whoever may read the audit trail (admins and auditors in the
 * default policy): what `npm run audit -- checkpoint` asks a running service for, since
 * the CLI must not open the service's PGlite folder itself. A broken chain gets no
 * checkpoint (409), and the refusal is in the trail like every attempt.
 */
export async function createAuditCheckpoint(ctx: RequestContext): Promise<CheckpointReply> {
  const what = { action: 'checkpoint', resourceType: 'AuditEvent', resourceIds: [] };
  return auditingDenials(ctx, what, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const result = await recordCheckpoint(ctx.db, (decision) => audit(ctx, decision));
    if (!result.ok) {
      const broken = result.report.firstBroken!;
      await audit(ctx, { ...what, outcome: 'denied', reason: 'the audit chain is broken', details: { firstBrokenSeq: broken.seq } });
      throw new AppError('CHAIN_BROKEN', `The audit chain is broken at seq ${broken.seq}: ${broken.problem}. No checkpoint was recorded.`, {
        firstBroken: broken,
      });
    }
    const { seq, hash } = result.checkpoint;
    return { checkpoint: `${seq}:${hash}`, seq, hash, eventId: result.eventId, verified: result.verified };
  });
}
