import type { Db } from '../data/database.js';
import type { AuditDecision } from './audit-event.js';
import { verifyChain, type Checkpoint, type VerifyReport } from './verify-chain.js';

export type CheckpointResult =
  | { ok: true; checkpoint: Checkpoint; eventId: string; verified: number }
  | { ok: false; report: VerifyReport };

/**
 * Verifies the chain and, when it holds, appends a checkpoint event naming the head it
 * verified. The checkpoint to publish is that event's own position and hash: rows other
 * requests append meanwhile come after it, and a later verify finds it in the chain.
 * `record` writes the event (the service's audit writer, or the CLI's) and returns its id.
 */
export async function recordCheckpoint(db: Db, record: (decision: AuditDecision) => Promise<string>): Promise<CheckpointResult> {
  const before = await verifyChain(db);
  if (!before.ok) return { ok: false, report: before };
  const eventId = await record({
    action: 'checkpoint',
    resourceType: 'AuditEvent',
    resourceIds: [],
    outcome: 'allowed',
    details: { verified: before.verified, previousHead: before.head },
  });
  const row = await db.selectFrom('auditEvents').select(['seq', 'hash']).where('eventId', '=', eventId).executeTakeFirstOrThrow();
  return { ok: true, checkpoint: { seq: String(row.seq), hash: row.hash }, eventId, verified: before.verified };
}
