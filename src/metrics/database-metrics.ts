import { poolOf, type Db } from '../data/database.js';
import type { Metrics } from './registry.js';

/**
 * Points the metrics at the database: the pools' connection counts, and the audit
 * chain's head, read from the table on each scrape because every instance appends to the
 * one chain (this instance's last commit says nothing of the others').
 */
export function watchDatabase(metrics: Metrics, db: Db, auditDb: Db): void {
  const requests = poolOf(db);
  if (requests) metrics.watchPool('requests', requests);
  const audit = poolOf(auditDb);
  // On one connection (embedded PGlite) the audit writer shares the requests' pool.
  if (audit && audit !== requests) metrics.watchPool('audit', audit);
  metrics.setChainHeadSource(async () => {
    const head = await db.selectFrom('auditEvents').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return head ? Number(head.seq) : null;
  });
}
