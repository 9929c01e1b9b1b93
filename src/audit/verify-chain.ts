import type { AuditEventRow } from '../data/audit-event.table.js';
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

/** The first problem of one row against the position and hash the chain expects of it; null when it holds. */
function checkLink(row: AuditEventRow, expectedSeq: bigint, prevHash: string): BrokenLink | null {
  const broken = (problem: string) => ({ seq: String(row.seq), eventId: row.eventId, problem });
  if (BigInt(row.seq) !== expectedSeq) return broken(`expected seq ${expectedSeq}: rows are missing before this one`);
  if (row.prevHash !== prevHash) return broken(`prev_hash does not match the hash of seq ${expectedSeq - 1n}`);
  if (chainHash({ ...row, details: toAuditEvent(row).details, seq: row.seq }) !== row.hash) {
    return broken('content does not match its hash: the row was changed after it was written');
  }
  return null;
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
      const broken = (problem: string) => ({ seq: String(row.seq), eventId: row.eventId, problem });
      firstBroken = checkLink(row, expectedSeq, prevHash);
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

/** A stretch of the chain checked on its own: the positions it covers and how far the check got. */
export interface SegmentReport {
  /** No broken link among the rows checked (see `truncated` for whether all were). */
  ok: boolean;
  /** First and last position checked (the row before the stretch, whose hash anchors it, included); null when the trail is empty there. */
  fromSeq: string | null;
  toSeq: string | null;
  /** Rows whose link and hash were checked before the first broken one (or the cap). */
  verified: number;
  firstBroken: BrokenLink | null;
  /** The cap on rows was reached before `toSeq`: the rest was not checked. */
  truncated: boolean;
}

/**
 * Checks positions `fromSeq..toSeq` as `verifyChain` checks the whole chain: each row in
 * place, linked to the one before, with the hash its content gives. The first row's link
 * to its predecessor is checked against that row's stored hash, so a stretch verifies in
 * time proportional to its length, not to the trail's. At most `maxRows` rows.
 */
export async function verifySegment(db: Db, fromSeq: string, toSeq: string, maxRows: number, pageSize = 2000): Promise<SegmentReport> {
  const from = BigInt(fromSeq);
  const before = from > 1n
    ? await db.selectFrom('auditEvents').select('hash').where('seq', '=', (from - 1n).toString()).executeTakeFirst()
    : { hash: GENESIS_HASH };
  let [expectedSeq, prevHash, verified, after] = [from, before?.hash ?? '', 0, from - 1n];
  let firstBroken: BrokenLink | null = null;
  let truncated = false;
  for (;;) {
    const limit = Math.min(pageSize, maxRows - verified);
    if (limit <= 0) {
      truncated = after < BigInt(toSeq);
      break;
    }
    const rows = await db.selectFrom('auditEvents').selectAll().where('seq', '>', after.toString()).where('seq', '<=', toSeq).orderBy('seq').limit(limit).execute();
    for (const row of rows) {
      // A missing predecessor is a gap before the stretch: said as such, not as a bad hash.
      firstBroken = before === undefined && verified === 0
        ? { seq: String(row.seq), eventId: row.eventId, problem: `seq ${from - 1n} is missing: rows were removed before this one` }
        : checkLink(row, expectedSeq, prevHash);
      if (firstBroken) break;
      verified += 1;
      prevHash = row.hash;
      expectedSeq += 1n;
    }
    if (firstBroken || rows.length < limit) break;
    after = BigInt(rows[rows.length - 1]!.seq);
  }
  if (!firstBroken && !truncated && verified > 0 && expectedSeq - 1n < BigInt(toSeq)) {
    firstBroken = { seq: expectedSeq.toString(), eventId: null, problem: `seq ${expectedSeq} is missing: rows were removed from this stretch` };
  }
  return { ok: firstBroken === null, fromSeq: verified > 0 || firstBroken ? fromSeq : null, toSeq: verified > 0 ? (expectedSeq - 1n).toString() : null, verified, firstBroken, truncated };
}
