import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import { EXPORT_RECORDS } from './export-events.js';

/**
 * The trail as it concerns one person: every event naming one of their records (the
 * record itself or a child of it), found through the GIN index on `resource_ids`, and
 * the people those events showed fields to. Ids and field names only, as the trail holds.
 */

/** Records of one resource type, by the ids the trail records for them. */
export interface TrailTarget {
  resourceType: string;
  ids: readonly string[];
}

export interface SubjectAccessRow {
  eventId: string;
  occurredAt: Date;
  actorSub: string | null;
  actorRoles: string[];
  channel: string;
  purpose: string | null;
  action: string;
  outcome: 'allowed' | 'denied';
  reason: string | null;
  resourceType: string;
  /** Only the subject's own ids among those the event named: never another person's. */
  resourceIds: string[];
  fieldsClear: string[];
  fieldsMasked: string[];
  fieldsWithheld: string[];
  /** For an export: the end its ledger recorded (completion or abort), if any. */
  exportEnd: { action: string; details: Record<string, unknown> | null } | null;
  exportFormat: string | null;
}

export interface SubjectViewerRow {
  sub: string;
  /** Roles on their latest event that showed the subject's data. */
  roles: string[];
  events: number;
  firstSeen: Date;
  lastSeen: Date;
}

const naming = (targets: readonly TrailTarget[]) =>
  sql.join(
    targets.map((t) => sql`(e.resource_type = ${t.resourceType} and e.resource_ids && ${[...t.ids]}::text[])`),
    sql` or `,
  );

const allIds = (targets: readonly TrailTarget[]) => [...new Set(targets.flatMap((t) => t.ids))];

/**
 * An event's own id, or for an export's further records (`export.records`) the id of
 * their export: a subject named in any chunk of a file is shown that export, with its end.
 */
const exportOf = sql`case when e.action = ${EXPORT_RECORDS} then e.details->>'exportEventId' else e.event_id::text end`;

/** Events naming any target, newest first, at most `limit`: an export's further records shown as that export. */
export async function accessesNaming(db: Db, targets: readonly TrailTarget[], limit: number): Promise<SubjectAccessRow[]> {
  const live = targets.filter((t) => t.ids.length > 0);
  if (live.length === 0) return [];
  const { rows } = await sql<Omit<SubjectAccessRow, 'exportEnd'> & { endAction: string | null; endDetails: Record<string, unknown> | null }>`
    select ${exportOf} as "eventId", e.occurred_at as "occurredAt", e.actor_sub as "actorSub", e.actor_roles as "actorRoles",
           e.channel, e.purpose, case when e.action = ${EXPORT_RECORDS} then 'export' else e.action end as action, e.outcome, e.reason, e.resource_type as "resourceType",
           array(select unnest(e.resource_ids) intersect select unnest(${allIds(live)}::text[]) order by 1) as "resourceIds",
           e.fields_clear as "fieldsClear", e.fields_masked as "fieldsMasked", e.fields_withheld as "fieldsWithheld",
           case when e.action in ('export', ${EXPORT_RECORDS}) then coalesce(e.details->>'format', substring(e.reason from 'format=([a-z]+)')) end as "exportFormat",
           c.action as "endAction", c.details as "endDetails"
    from audit_events e
    left join lateral (
      select x.action, x.details from audit_events x
      where e.action in ('export', ${EXPORT_RECORDS}) and x.actor_sub = e.actor_sub and x.occurred_at >= e.occurred_at
        and x.action in ('export.completed', 'export.aborted') and x.details->>'exportEventId' = ${exportOf}
      order by x.seq limit 1
    ) c on true
    where ${naming(live)}
    order by e.seq desc limit ${limit}`.execute(db.withoutPlugins());
  return rows.map(({ endAction, endDetails, ...row }) => ({ ...row, exportEnd: endAction ? { action: endAction, details: endDetails } : null }));
}

/**
 * Everyone an allowed event showed fields of the targets to (clear or masked), with how
 * often and when, most recent first, at most `limit`: over the whole trail, not only the
 * rows the annex lists.
 */
export async function viewersOf(db: Db, targets: readonly TrailTarget[], limit: number): Promise<SubjectViewerRow[]> {
  const live = targets.filter((t) => t.ids.length > 0);
  if (live.length === 0) return [];
  const { rows } = await sql<SubjectViewerRow>`
    select e.actor_sub as sub, (jsonb_agg(to_jsonb(e.actor_roles) order by e.seq desc))->0 as roles, count(*)::int as events,
           min(e.occurred_at) as "firstSeen", max(e.occurred_at) as "lastSeen"
    from audit_events e
    where (${naming(live)}) and e.outcome = 'allowed' and e.actor_sub is not null
      and cardinality(e.fields_clear) + cardinality(e.fields_masked) > 0
    group by e.actor_sub order by max(e.occurred_at) desc, e.actor_sub limit ${limit}`.execute(db.withoutPlugins());
  return rows;
}
