import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../data/database.js';
import { EXPORT_RECORDS, exportPlanned } from './export-events.js';

/** One actor over a period; `from` null means since the first event. Both ends inclusive. */
export interface ReportPeriod {
  actor: string;
  from: Date | null;
  to: Date;
}

export interface ReportExport {
  eventId: string;
  occurredAt: string;
  channel: string;
  format: string | null;
  /** completed: the whole file left; aborted: cut short; unfinished: no end recorded (yet). */
  status: 'completed' | 'aborted' | 'unfinished';
  /** Rows sent when the end is recorded, else the rows the export was allowed to contain. */
  rows: number;
  bytes: number | null;
  sha256: string | null;
  fieldsClear: string[];
  fieldsMasked: string[];
}

// What the actor was shown: the allowed read, list and export events, as the read budget
// counts them, and the writes, whose answers carry the record rendered.
const READS = sql`resource_type = 'Customer' and outcome = 'allowed' and action in ('read', 'list', 'export', 'create', 'update')`;

const inPeriod = (p: ReportPeriod, alias = 'audit_events'): RawBuilder<unknown> =>
  sql`${sql.ref(`${alias}.actor_sub`)} = ${p.actor} and ${sql.ref(`${alias}.occurred_at`)} <= ${p.to}
      and ${p.from ? sql`${sql.ref(`${alias}.occurred_at`)} >= ${p.from}` : sql`true`}`;

/** Distinct customer ids this actor was shown, in id order: an export's further chunks included. */
export async function customersRead(db: Db, p: ReportPeriod): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select distinct r.id from audit_events, unnest(resource_ids) as r(id)
    where ${inPeriod(p)} and (${READS} or (resource_type = 'Customer' and outcome = 'allowed' and action = ${EXPORT_RECORDS})) order by r.id`.execute(db);
  return rows.map((r) => r.id);
}

/** Per field, in how many read events it was shown clear and masked. */
export async function fieldUse(db: Db, p: ReportPeriod): Promise<Record<string, { clear: number; masked: number }>> {
  const { rows } = await sql<{ field: string; clear: number; masked: number }>`
    select field, sum(clear)::int as clear, sum(masked)::int as masked from (
      select unnest(fields_clear) as field, 1 as clear, 0 as masked from audit_events where ${inPeriod(p)} and ${READS}
      union all
      select unnest(fields_masked), 0, 1 from audit_events where ${inPeriod(p)} and ${READS}
    ) as shown group by field order by field`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.field, { clear: r.clear, masked: r.masked }]));
}

/** Events per action and outcome: the shape of what the actor did, denials included. */
export async function actionCounts(db: Db, p: ReportPeriod): Promise<Array<{ action: string; outcome: string; count: number }>> {
  const { rows } = await sql<{ action: string; outcome: string; count: number }>`
    select action, outcome, count(*)::int as count from audit_events where ${inPeriod(p)}
    group by action, outcome order by action, outcome`.execute(db);
  return rows;
}

/** Each export with the end its ledger recorded (completion or abort), oldest first. */
export async function exportsOf(db: Db, p: ReportPeriod): Promise<ReportExport[]> {
  const { rows } = await sql<{
    eventId: string; occurredAt: Date; channel: string; format: string | null; planned: number;
    fieldsClear: string[]; fieldsMasked: string[]; endAction: string | null; endDetails: Record<string, unknown> | null;
  }>`
    select e.event_id as "eventId", e.occurred_at as "occurredAt", e.channel,
           coalesce(e.details->>'format', substring(e.reason from 'format=([a-z]+)')) as format,
           ${exportPlanned('e')} as planned, e.fields_clear as "fieldsClear", e.fields_masked as "fieldsMasked",
           c.action as "endAction", c.details as "endDetails"
    from audit_events e
    left join lateral (
      select x.action, x.details from audit_events x
      where x.actor_sub = e.actor_sub and x.occurred_at >= e.occurred_at
        and x.action in ('export.completed', 'export.aborted') and x.details->>'exportEventId' = e.event_id::text
      order by x.seq limit 1
    ) c on true
    where ${inPeriod(p, 'e')} and e.action = 'export' and e.outcome = 'allowed'
    order by e.seq`.execute(db);
  return rows.map((r) => ({
    eventId: r.eventId,
    occurredAt: new Date(r.occurredAt).toISOString(),
    channel: r.channel,
    format: r.format,
    status: r.endAction === 'export.completed' ? 'completed' : r.endAction === 'export.aborted' ? 'aborted' : 'unfinished',
    rows: typeof r.endDetails?.rows === 'number' ? r.endDetails.rows : r.planned,
    bytes: typeof r.endDetails?.bytes === 'number' ? r.endDetails.bytes : null,
    sha256: typeof r.endDetails?.sha256 === 'string' ? r.endDetails.sha256 : null,
    fieldsClear: r.fieldsClear,
    fieldsMasked: r.fieldsMasked,
  }));
}

/** Anomalies recorded against the actor (bulk access and any later kind). */
export async function anomaliesOf(db: Db, p: ReportPeriod) {
  const { rows } = await sql<{ eventId: string; occurredAt: Date; action: string; outcome: string; details: Record<string, unknown> | null }>`
    select event_id as "eventId", occurred_at as "occurredAt", action, outcome, details from audit_events
    where ${inPeriod(p)} and action like 'anomaly.%' order by seq`.execute(db);
  return rows.map((r) => ({ ...r, occurredAt: new Date(r.occurredAt).toISOString() }));
}
