import { LRUCache } from 'lru-cache';

/** How long a recorded read spares the next one a trip to the database, at most. */
const FRESH_FOR_MS = 5_000;
/** Pairs remembered at once per instance (about 100 bytes each). */
const MAX_PAIRS = 100_000;

/**
 * Which (person, resource, record) reads this instance recorded in `customer_reads`
 * moments ago. A read budget counts distinct records per resource, so reading one of them
 * again adds nothing to the count; a client that re-reads the same record or page (a CRM screen refreshing)
 * need not take the per-person lock for it. The database stays the only source of
 * truth: every other instance still records and counts there.
 *
 * What it costs in precision: a re-read within the freshness time does not move the
 * customer's last-read time forward, so the customer can leave the window up to that
 * much early (never more than a tenth of the window). Only reads that fitted the budget
 * are remembered, so a caller over it is checked in full every time.
 */
export class RecentReads {
  private readonly recordedAt = new LRUCache<string, number>({ max: MAX_PAIRS });

  /**
   * Whether every one of `ids` (records of `resourceType`) was recorded for `sub`, under
   * the same budget (`budgetKey`), recently enough to count as read now. Another token of
   * the same person with another budget, or a reload that changes it, is checked in
   * full; so is a record of another resource that happens to share an id.
   */
  allRecorded(sub: string, resourceType: string, budgetKey: string, ids: readonly string[], windowMs: number, now: number): boolean {
    const since = now - Math.min(FRESH_FOR_MS, windowMs / 10);
    return ids.every((id) => (this.recordedAt.get(pairKey(sub, resourceType, budgetKey, id)) ?? -Infinity) > since);
  }

  remember(sub: string, resourceType: string, budgetKey: string, ids: readonly string[], at: number): void {
    for (const id of ids) this.recordedAt.set(pairKey(sub, resourceType, budgetKey, id), at);
  }
}

const pairKey = (sub: string, resourceType: string, budgetKey: string, id: string) => `${sub}\u0000${resourceType}\u0000${budgetKey}\u0000${id}`;
