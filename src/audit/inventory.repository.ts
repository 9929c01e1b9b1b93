import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import { SHOWING_ACTIONS } from './access-use.repository.js';
import { EXPORT_RECORDS } from './export-events.js';

/** What the trail says about processing since a time: purposes, exports, the chain's upkeep. */
export interface TrailFacts {
  /** Per resource, each purpose callers declared (X-Purpose) on requests that showed data; `null`: none declared. */
  purposes: Array<{ resource: string; purpose: string | null; events: number; lastAt: string }>;
  /** Who exported what: the recipients of the data. */
  exports: Array<{ recipient: string; resource: string; exports: number; records: number; lastAt: string }>;
  lastCheckpoint: { seq: string; at: string; by: string | null } | null;
  lastVerification: { at: string; by: string | null; ok: boolean | null } | null;
  /** People disabled now (whole persons, not single tokens). */
  disabledPeople: number;
  /** Access requests, approvals and break-glass in the window, by action. */
  accessRequests: Array<{ action: string; events: number }>;
}

/** The most purposes listed per resource, and export rows: beyond them the list says how many were left out. */
export const INVENTORY_LIMITS = { purposesPerResource: 25, exportRows: 200 };

const iso = (d: Date | string) => new Date(d).toISOString();

/**
 * Aggregates of the trail since `since`, for the record of processing. Each is a GROUP BY
 * over the window (occurred_at is indexed) with a bounded answer.
 */
export async function trailFacts(db: Db, since: Date): Promise<TrailFacts> {
  const raw = db.withoutPlugins();
  const purposes = await sql<{ resource: string; purpose: string | null; events: number; lastAt: Date }>`
    select resource, purpose, events, "lastAt" from (
      select resource_type as resource, purpose, count(*)::int as events, max(occurred_at) as "lastAt",
             row_number() over (partition by resource_type order by count(*) desc, purpose nulls last) as rank
      from audit_events
      where occurred_at >= ${since} and outcome = 'allowed' and action in (${sql.join([...SHOWING_ACTIONS])}) and actor_sub is not null
      group by resource_type, purpose) ranked
    where rank <= ${INVENTORY_LIMITS.purposesPerResource} order by resource, events desc, purpose nulls last`.execute(raw);
  const exports = await sql<{ recipient: string; resource: string; exports: number; records: number; lastAt: Date }>`
    select actor_sub as recipient, resource_type as resource, (count(*) filter (where action = 'export'))::int as exports,
           sum(cardinality(resource_ids))::int as records, max(occurred_at) as "lastAt"
    from audit_events where occurred_at >= ${since} and action in ('export', ${EXPORT_RECORDS}) and outcome = 'allowed' and actor_sub is not null
    group by actor_sub, resource_type order by count(*) desc, actor_sub, resource_type limit ${INVENTORY_LIMITS.exportRows}`.execute(raw);
  const checkpoint = await sql<{ seq: string; at: Date; by: string | null }>`
    select seq::text as seq, occurred_at as at, actor_sub as by from audit_events
    where action = 'checkpoint' and outcome = 'allowed' order by audit_events.seq desc limit 1`.execute(raw);
  const verification = await sql<{ at: Date; by: string | null; ok: boolean | null }>`
    select occurred_at as at, actor_sub as by, (details->>'ok')::boolean as ok from audit_events
    where action = 'verify' and outcome = 'allowed' order by audit_events.seq desc limit 1`.execute(raw);
  const disabled = await sql<{ n: number }>`select count(*)::int as n from principal_status where disabled and jti = ''`.execute(raw);
  const requests = await sql<{ action: string; events: number }>`
    select action, count(*)::int as events from audit_events
    where occurred_at >= ${since} and action like 'access.%' and outcome = 'allowed' group by action order by action`.execute(raw);
  const [cp, vf] = [checkpoint.rows[0], verification.rows[0]];
  return {
    purposes: purposes.rows.map((r) => ({ ...r, lastAt: iso(r.lastAt) })),
    exports: exports.rows.map((r) => ({ ...r, lastAt: iso(r.lastAt) })),
    lastCheckpoint: cp ? { seq: cp.seq, at: iso(cp.at), by: cp.by } : null,
    lastVerification: vf ? { at: iso(vf.at), by: vf.by, ok: vf.ok } : null,
    disabledPeople: disabled.rows[0]?.n ?? 0,
    accessRequests: requests.rows,
  };
}
