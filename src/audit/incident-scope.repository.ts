import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import type { ResourceModel } from '../model/model.js';
import { SHOWING_ACTIONS } from './access-use.repository.js';
import { EXPORT_RECORDS, exportPlanned } from './export-events.js';

/** Some people over a time window, both ends inclusive. */
export interface IncidentWindow {
  actors: readonly string[];
  from: Date;
  to: Date;
}

/** One allowed event that showed records to one of the actors: ids and field names only. */
export interface ExposureEvent {
  seq: string;
  occurredAt: Date;
  actor: string;
  action: string;
  resourceType: string;
  resourceIds: string[];
  fieldsClear: string[];
  fieldsMasked: string[];
  fieldsWithheld: string[];
}

const byActors = (w: IncidentWindow) =>
  sql`actor_sub in (${sql.join([...w.actors])}) and occurred_at >= ${w.from} and occurred_at <= ${w.to}`;

/**
 * The events that showed records to the actors in the window, oldest first, after
 * position `after`, at most `limit`: reads, lists, exports, downloads and the answers of
 * writes, over REST, GraphQL and the decisions API alike (they share the trail).
 */
export async function exposureEvents(db: Db, w: IncidentWindow, after: string, limit: number): Promise<ExposureEvent[]> {
  const { rows } = await sql<ExposureEvent>`
    -- Ordered by the column, not by its text alias ('10' < '6').
    select seq::text as seq, occurred_at as "occurredAt", actor_sub as actor, action, resource_type as "resourceType",
           resource_ids as "resourceIds", fields_clear as "fieldsClear", fields_masked as "fieldsMasked", fields_withheld as "fieldsWithheld"
    from audit_events
    where ${byActors(w)} and seq > ${after} and outcome = 'allowed' and action in (${sql.join([...SHOWING_ACTIONS, EXPORT_RECORDS])})
    order by audit_events.seq limit ${limit}`.execute(db.withoutPlugins());
  return rows;
}

export interface IncidentExport {
  eventId: string;
  occurredAt: string;
  actor: string;
  resource: string;
  format: string | null;
  status: 'completed' | 'aborted' | 'unfinished';
  rows: number;
  bytes: number | null;
  sha256: string | null;
  fieldsClear: string[];
  fieldsMasked: string[];
}

/** The actors' exports in the window, each with the end its ledger recorded (file hash, size), oldest first; at most `limit`. */
export async function exportsIn(db: Db, w: IncidentWindow, limit: number): Promise<IncidentExport[]> {
  const { rows } = await sql<{
    eventId: string; occurredAt: Date; actor: string; resource: string; format: string | null; planned: number;
    fieldsClear: string[]; fieldsMasked: string[]; endAction: string | null; endDetails: Record<string, unknown> | null;
  }>`
    select e.event_id::text as "eventId", e.occurred_at as "occurredAt", e.actor_sub as actor, e.resource_type as resource,
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
    where e.actor_sub in (${sql.join([...w.actors])}) and e.occurred_at >= ${w.from} and e.occurred_at <= ${w.to}
      and e.action = 'export' and e.outcome = 'allowed'
    order by e.seq limit ${limit}`.execute(db.withoutPlugins());
  return rows.map((r) => ({
    eventId: r.eventId,
    occurredAt: new Date(r.occurredAt).toISOString(),
    actor: r.actor,
    resource: r.resource,
    format: r.format,
    status: r.endAction === 'export.completed' ? 'completed' : r.endAction === 'export.aborted' ? 'aborted' : 'unfinished',
    rows: typeof r.endDetails?.rows === 'number' ? r.endDetails.rows : r.planned,
    bytes: typeof r.endDetails?.bytes === 'number' ? r.endDetails.bytes : null,
    sha256: typeof r.endDetails?.sha256 === 'string' ? r.endDetails.sha256 : null,
    fieldsClear: r.fieldsClear,
    fieldsMasked: r.fieldsMasked,
  }));
}

/**
 * Each child record's parent id, read from the child's table: `id -> parent id`. Ids the
 * table no longer holds (erased since) are absent. The ids are cast to the key column's
 * own type, so the primary key's index finds them; if one cannot be (an id recorded as a
 * digest, or of another shape), the lookup compares as text instead, which scans.
 */
export async function parentIds(db: Db, child: ResourceModel, ids: readonly string[]): Promise<Map<string, string>> {
  const field = child.fields.find((f) => f.name === child.parent?.field);
  if (!field?.column || !child.id.column || ids.length === 0) return new Map();
  const raw = db.withoutPlugins();
  const qualified = `${child.table.schema}.${child.table.name}`;
  const [key, parent, table] = [sql.ref(child.id.column), sql.ref(field.column), sql.table(qualified)];
  const { rows: types } = await sql<{ type: string | null }>`
    select format_type(atttypid, atttypmod) as type from pg_attribute
    where attrelid = to_regclass(${qualified}) and attname = ${child.id.column} and not attisdropped`.execute(raw);
  const type = types[0]?.type;
  const byText = sql`${key}::text in (${sql.join([...ids])})`;
  const query = (where: ReturnType<typeof sql>) =>
    sql<{ id: string; parent: string | null }>`select ${key}::text as id, ${parent}::text as parent from ${table} where ${where}`.execute(raw);
  let rows: Array<{ id: string; parent: string | null }>;
  try {
    rows = (await query(type ? sql`${key} = any(cast(${[...ids]}::text[] as ${sql.raw(`${type}[]`)}))` : byText)).rows;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '22P02' && code !== '22003' && code !== '22007') throw err;
    rows = (await query(byText)).rows;
  }
  return new Map(rows.filter((r) => r.parent !== null).map((r) => [r.id, r.parent!]));
}

/** Where the window lies on the chain: the first and last positions of its events, and the chain's head; null when it holds none. */
export async function windowPositions(db: Db, from: Date, to: Date): Promise<{ first: string; last: string; head: string } | null> {
  // Positions are given at commit, times just before: the few events around each end
  // whose order differs are taken in by looking at the lowest/highest of the first/last 100.
  const { rows } = await sql<{ first: string | null; last: string | null; head: string | null }>`
    select (select min(seq)::text from (select seq from audit_events where occurred_at >= ${from} and occurred_at <= ${to} order by occurred_at limit 100) a) as first,
           (select max(seq)::text from (select seq from audit_events where occurred_at >= ${from} and occurred_at <= ${to} order by occurred_at desc limit 100) b) as last,
           (select max(seq)::text from audit_events) as head`.execute(db.withoutPlugins());
  const row = rows[0];
  return row?.first && row.last && row.head ? { first: row.first, last: row.last, head: row.head } : null;
}

/** The newest checkpoint recorded after position `seq`: it pins the stretch before it once published. */
export async function checkpointAfter(db: Db, seq: string): Promise<{ seq: string; eventId: string; occurredAt: string } | null> {
  const { rows } = await sql<{ seq: string; eventId: string; occurredAt: Date }>`
    select seq::text as seq, event_id::text as "eventId", occurred_at as "occurredAt" from audit_events
    where action = 'checkpoint' and outcome = 'allowed' and seq > ${seq} order by audit_events.seq desc limit 1`.execute(db.withoutPlugins());
  const row = rows[0];
  return row ? { seq: row.seq, eventId: row.eventId, occurredAt: new Date(row.occurredAt).toISOString() } : null;
}
