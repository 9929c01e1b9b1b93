import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import { prepareOnEachConnection } from '../data/prepared-statements.js';

/**
 * What one actor has read, kept in the database (customer_reads, despite its name the
 * reads of every budgeted resource: one row per actor, resource type and record id with
 * the last read time), so every service instance sees the same history and a count costs
 * one index range over the records of one resource read in the window, however many
 * requests produced them.
 */

/**
 * Under a per-person lock, counts the distinct records of `resourceType` read since
 * `since` plus `adding`, and records `adding` as read at `at` when the count stays within
 * `budget` (or always, with `recordOver`). Reads of other resource types are not counted.
 * One round trip: see the migrations defining it (2026-12-03T1800 for the resource type).
 */
export async function countAndRecordReads(
  db: Db,
  read: { actorSub: string; resourceType: string; adding: string[]; since: Date; at: Date; budget: number; recordOver: boolean },
): Promise<number> {
  const query = sql<{ n: number }>`
    select fieldguard_count_and_record_reads(
      ${read.actorSub}, ${read.resourceType}, ${read.adding}::text[], ${read.since}, ${read.at}, ${read.budget}, ${read.recordOver}) as n`.compile(db);
  // Runs on most budgeted requests: prepared once per connection.
  prepareOnEachConnection(query.sql);
  const { rows } = await db.executeQuery(query);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The `n`-th oldest "last read" time among records of `resourceType` read since `since`,
 * leaving out `excluding`: once it leaves the window, `n` fewer of them count.
 */
export async function nthOldestLastRead(db: Db, actorSub: string, resourceType: string, since: Date, excluding: string[], n: number): Promise<Date | null> {
  const { rows } = await sql<{ last: Date }>`
    select last_read_at as last from customer_reads
    where actor_sub = ${actorSub} and resource_type = ${resourceType} and last_read_at > ${since}
      and not (customer_id = any(${excluding}::text[]))
    order by last_read_at asc offset ${n - 1} limit 1`.execute(db);
  return rows[0] ? new Date(rows[0].last) : null;
}

/** Whether a bulk-access anomaly over `resourceType` was already recorded for this actor since `since`. */
export async function anomalyRecordedSince(db: Db, actorSub: string, resourceType: string, since: Date): Promise<boolean> {
  const { rows } = await sql`
    select 1 from audit_events
    where actor_sub = ${actorSub} and occurred_at > ${since} and action = 'anomaly.bulk_access'
      and resource_type = ${resourceType}
    limit 1`.execute(db);
  return rows.length > 0;
}
