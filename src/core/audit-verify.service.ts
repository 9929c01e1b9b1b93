import { verifyChain, parseCheckpoint, type VerifyReport } from '../audit/verify-chain.js';
import { AppError } from '../errors.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

/**
 * Verifies the audit chain for admins and auditors. The verification itself is
 * recorded, with its verdict, so "who checked the trail and what did they find" is
 * part of the trail.
 */
export async function verifyAuditChain(ctx: RequestContext, checkpointText?: string): Promise<VerifyReport> {
  return auditingDenials(ctx, { action: 'verify', resourceType: 'AuditEvent', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const checkpoint = checkpointText ? parseCheckpoint(checkpointText) : null;
    if (checkpointText && !checkpoint) {
      throw new AppError('VALIDATION_FAILED', 'checkpoint must be SEQ:HASH as printed by `npm run audit -- checkpoint`.');
    }
    const report = await verifyChain(ctx.db, checkpoint);
    await audit(ctx, {
      action: 'verify',
      resourceType: 'AuditEvent',
      resourceIds: [],
      outcome: 'allowed',
      details: { ok: report.ok, verified: report.verified, firstBrokenSeq: report.firstBroken?.seq ?? null },
    });
    return report;
  });
}
