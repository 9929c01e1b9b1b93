import type { Db } from '../data/database.js';
import { toAuditEvent } from './audit.repository.js';
import { chainHash, GENESIS_HASH } from './chain.js';

/** A published head of the chain: position and hash, kept outside the database. */
export interface Checkpoint {
  seq: string;
  hash: string;
}

export interface BrokenLink {
  seq: string;
  eventId: string | null;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Rows whose link and hash were checked before the first broken one. */
  verified: number;
  head: Checkpoint | null;
  firstBroken: BrokenLink | null;
  checkpoint: (Checkpoint & { found: boolean }) | null;
}

const CHECKPOINT = /^([1-9][0-9]{0,18}):([0-9a-f]{64})$/;

/** Parses `SEQ:HASH` as printed by `npm run audit -- checkpoint`; null if malformed. */
export function parseCheckpoint(text: string): Checkpoint | null {
  const m = CHECKPOINT.exec(text.trim());
  return m ? { seq: m[1]!, hash: m[2]! } : null;
}

/**
 * Walks the whole chain in seq order and recomputes every hash. Catches an edited row
 * (hash mismatch), a removed or inserted row (gap, or prev_hash not the previous
 * hash) and, given a checkpoint published earlier, removed newest rows: a cut at the
 * end leaves a valid but shorter chain that no longer holds the checkpoint.
 */
export async function verifyChain(db: Db, checkpoint: Checkpoint | null = null, pageSize = 2000): Promise<VerifyReport> {
  let verified = 0;
  let expectedSeq = 1n;
  let prevHash = GENESIS_HASH;
  let firstBroken: BrokenLink | null = null;
  let checkpointFound = false;
  let after = 0n;
  for (;;) {
    const rows = await db.selectFrom('auditEvents').selectAll().where('seq', '>', after.toString()).orderBy('seq').limit(pageSize).execute();
    for (const row of rows) {
      const seq = BigInt(row.seq);
      const event = toAuditEvent(row);
      const broken = (problem: string) => ({ seq: String(row.seq), eventId: row.eventId, problem });
      if (seq !== expectedSeq) firstBroken = broken(`expected seq ${expectedSeq}: rows are missing before this one`);
      else if (row.prevHash !== prevHash) firstBroken = broken(`prev_hash does not match the hash of seq ${expectedSeq - 1n}`);
      else if (chainHash({ ...row, details: event.details, seq: row.seq }) !== row.hash) {
        firstBroken = broken('content does not match its hash: the row was changed after it was written');
      }
      if (firstBroken) break;
      if (checkpoint && row.seq === checkpoint.seq) {
        if (row.hash !== checkpoint.hash) {
          firstBroken = broken('hash differs from the checkpoint: the chain was rewritten from here on');
          break;
        }
        checkpointFound = true;
      }
      verified += 1;
      prevHash = row.hash;
      expectedSeq = seq + 1n;
    }
    if (firstBroken || rows.length < pageSize) break;
    after = BigInt(rows[rows.length - 1]!.seq);
  }
  const head = verified > 0 ? { seq: (expectedSeq - 1n).toString(), hash: prevHash } : null;
  if (!firstBroken && checkpoint && !checkpointFound) {
    firstBroken = {
      seq: checkpoint.seq,
      eventId: null,
      problem: `checkpoint seq ${checkpoint.seq} is not in the chain (head is ${head?.seq ?? 'empty'}): rows were removed from the end`,
    };
  }
  return {
    ok: firstBroken === null,
    verified,
    head,
    firstBroken,
    checkpoint: checkpoint ? { ...checkpoint, found: checkpointFound } : null,
  };
}
