import { sql } from 'kysely';
import type { Db } from '../data/database.js';

/**
 * What one actor has read, kept in the database (customer_reads: one row per actor and
 * customer with the last read time), so every service instance sees the same history
 * and a count costs one index range over the customers read in the window, however many
 * requests produced them.
 */

/** Distinct customers read since `since`, counting `adding` (about to be returned) too. */
export async function distinctCustomersRead(db: Db, actorSub: string, since: Date, adding: string[]): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n from (
      select customer_id from customer_reads where actor_sub = ${actorSub} and last_read_at > ${since}
      union
      select unnest(${adding}::text[])
    ) as seen`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** Records that the actor read these customers now (ids sorted: concurrent upserts lock in one order). */
export async function recordReads(db: Db, actorSub: string, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    insert into customer_reads (actor_sub, customer_id, last_read_at)
    select ${actorSub}, id, ${at} from unnest(${[...new Set(ids)].sort()}::text[]) as id
    on conflict (actor_sub, customer_id) do update set last_read_at = greatest(customer_reads.last_read_at, excluded.last_read_at)`.execute(db);
}

/**
 * The `n`-th oldest "last read" time among customers read since `since`, leaving out
 * `excluding`: once it leaves the window, `n` fewer of them count.
 */
export async function nthOldestLastRead(db: Db, actorSub: string, since: Date, excluding: string[], n: number): Promise<Date | null> {
  const { rows } = await sql<{ last: Date }>`
    select last_read_at as last from customer_reads
    where actor_sub = ${actorSub} and last_read_at > ${since} and not (customer_id = any(${excluding}::text[]))
    order by last_read_at asc offset ${n - 1} limit 1`.execute(db);
  return rows[0] ? new Date(rows[0].last) : null;
}

/** Whether a bulk-access anomaly was already recorded for this actor since `since`. */
export async function anomalyRecordedSince(db: Db, actorSub: string, since: Date): Promise<boolean> {
  const { rows } = await sql`
    select 1 from audit_events
    where actor_sub = ${actorSub} and occurred_at > ${since} and action = 'anomaly.bulk_access'
    limit 1`.execute(db);
  return rows.length > 0;
}
