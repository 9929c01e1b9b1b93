import { sql } from 'kysely';
import type { Db } from '../data/database.js';

/**
 * What one actor has read, straight from audit_events, so every service instance sees
 * the same history (no per-instance counter to drift). Reads are the allowed customer
 * `read`, `list` and `export` events: each names every id it returned. The index on
 * (actor_sub, occurred_at) keeps these to the actor's own recent rows.
 */
const readsBy = (actorSub: string, since: Date) => sql`
  actor_sub = ${actorSub} and occurred_at > ${since}
  and resource_type = 'Customer' and outcome = 'allowed' and action in ('read', 'list', 'export')`;

/** Distinct customers read since `since`, counting `adding` (about to be returned) too. */
export async function distinctCustomersRead(db: Db, actorSub: string, since: Date, adding: string[]): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n from (
      select unnest(resource_ids) as id from audit_events where ${readsBy(actorSub, since)}
      union
      select unnest(${adding}::text[])
    ) as seen`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The `n`-th oldest "last read" time among customers read since `since`, leaving out
 * `excluding`: once it leaves the window, `n` fewer of them count.
 */
export async function nthOldestLastRead(db: Db, actorSub: string, since: Date, excluding: string[], n: number): Promise<Date | null> {
  const { rows } = await sql<{ last: Date }>`
    select max(occurred_at) as last from audit_events, unnest(resource_ids) as r(id)
    where ${readsBy(actorSub, since)} and not (r.id = any(${excluding}::text[]))
    group by r.id order by last asc offset ${n - 1} limit 1`.execute(db);
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
