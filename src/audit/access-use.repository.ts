import { sql } from 'kysely';
import type { Db } from '../data/database.js';

/**
 * Events whose answer showed fields of existing records to their actor: reads, lists,
 * exports and file downloads, and the answers of creates and updates (as the per-person
 * report counts them). Previews show someone else's view and are left out.
 */
export const SHOWING_ACTIONS = ['read', 'list', 'export', 'download', 'create', 'update'] as const;

/** Positions `[after, upTo]` of the chain, within a time window. */
export interface TrailSlice {
  after: string;
  upTo: string;
  since: Date;
  until: Date;
}

/** How one person was shown one field of one resource type in a slice: event counts and last times. */
export interface FieldUseRow {
  sub: string;
  resource: string;
  field: string;
  clear: number;
  masked: number;
  lastClear: Date | null;
  lastMasked: Date | null;
}

export interface PersonRow {
  sub: string;
  events: number;
  firstSeen: Date;
  lastSeen: Date;
  lastSeq: string;
  /** Roles on their latest event of the slice. */
  roles: string[];
  /** Each distinct set of roles their events of the slice carried. */
  roleSets: string[][];
}

export interface ExportUseRow {
  sub: string;
  resource: string;
  exports: number;
}

// People, not tools: operator commands (channel cli) reach the database as `cli:<user>`
// with no roles, and refused credentials have no subject.
const PERSON = sql`actor_sub is not null and channel <> 'cli'`;
const inSlice = (s: TrailSlice) => sql`seq > ${s.after} and seq <= ${s.upTo} and occurred_at >= ${s.since} and occurred_at <= ${s.until}`;

/**
 * Where the window starts on the chain: just before the lowest position among its first
 * events by time. Positions are given at commit, times just before, so they agree up to
 * the few events committed together; scanning by position from here never rescans the
 * trail before the window. '0' when the window is empty.
 */
export async function windowStart(db: Db, since: Date): Promise<string> {
  const { rows } = await sql<{ seq: string | null }>`
    select (min(seq) - 1)::text as seq from (select seq from audit_events where occurred_at >= ${since} order by occurred_at limit 100) as first`.execute(db);
  return rows[0]?.seq ?? '0';
}

/** The next slice of at most `limit` events of the window after `after`: its last position and size. */
export async function nextSlice(db: Db, q: { after: string; since: Date; until: Date; limit: number }): Promise<{ upTo: string; events: number; lastAt: Date } | null> {
  const { rows } = await sql<{ upTo: string | null; events: number; lastAt: Date | null }>`
    select max(seq)::text as "upTo", count(*)::int as events, max(occurred_at) as "lastAt" from (
      select seq, occurred_at from audit_events where seq > ${q.after} and occurred_at >= ${q.since} and occurred_at <= ${q.until}
      order by seq limit ${q.limit}) as batch`.execute(db);
  const row = rows[0];
  return row?.upTo ? { upTo: row.upTo, events: row.events, lastAt: row.lastAt! } : null;
}

/** Per person, resource type and field: in how many events it was shown clear and masked, and when last. */
export async function fieldUse(db: Db, s: TrailSlice, resourceTypes: readonly string[]): Promise<FieldUseRow[]> {
  if (resourceTypes.length === 0) return [];
  const { rows } = await sql<FieldUseRow>`
    select actor_sub as sub, resource_type as resource, f.field,
           (count(*) filter (where f.how = 'clear'))::int as clear, (count(*) filter (where f.how = 'masked'))::int as masked,
           max(occurred_at) filter (where f.how = 'clear') as "lastClear", max(occurred_at) filter (where f.how = 'masked') as "lastMasked"
    from audit_events
    cross join lateral (select unnest(fields_clear) as field, 'clear' as how union all select unnest(fields_masked), 'masked') as f
    where ${inSlice(s)} and ${PERSON} and outcome = 'allowed'
      and action in (${sql.join(SHOWING_ACTIONS)}) and resource_type in (${sql.join([...resourceTypes])})
    group by actor_sub, resource_type, f.field`.execute(db);
  return rows;
}

/** Everyone who made any request in the slice (denials included), with their roles. */
export async function peopleIn(db: Db, s: TrailSlice): Promise<PersonRow[]> {
  const { rows } = await sql<PersonRow>`
    select p.*, e.actor_roles as roles from (
      select actor_sub as sub, count(*)::int as events, min(occurred_at) as "firstSeen", max(occurred_at) as "lastSeen",
             max(seq)::text as "lastSeq", jsonb_agg(distinct to_jsonb(actor_roles)) as "roleSets"
      from audit_events where ${inSlice(s)} and ${PERSON} group by actor_sub) as p
    join audit_events e on e.seq = p."lastSeq"::bigint`.execute(db);
  return rows;
}

/** Allowed exports per person and resource type in the slice. */
export async function exportUse(db: Db, s: TrailSlice): Promise<ExportUseRow[]> {
  const { rows } = await sql<ExportUseRow>`
    select actor_sub as sub, resource_type as resource, count(*)::int as exports from audit_events
    where ${inSlice(s)} and ${PERSON} and action = 'export' and outcome = 'allowed'
    group by actor_sub, resource_type`.execute(db);
  return rows;
}

/**
 * People seen before `since` and not since: their last event and its roles, most recent
 * first, at most `limit`. The distinct people are walked on the (actor, seq) index, one
 * step each, and each one's last event is one index probe: not a scan of the whole trail.
 */
export async function peopleNotSeenSince(db: Db, since: Date, limit: number): Promise<Array<{ sub: string; lastSeen: Date; roles: string[] }>> {
  const { rows } = await sql<{ sub: string; lastSeen: Date; roles: string[] }>`
    with recursive people(sub) as (
      (select actor_sub from audit_events where actor_sub is not null order by actor_sub limit 1)
      union all
      select (select actor_sub from audit_events where actor_sub > people.sub order by actor_sub limit 1) from people where people.sub is not null
    )
    select sub, last."lastSeen", last.roles from people
    cross join lateral (
      select occurred_at as "lastSeen", actor_roles as roles from audit_events
      where actor_sub = people.sub and channel <> 'cli' order by occurred_at desc limit 1) as last
    where last."lastSeen" < ${since}
    order by last."lastSeen" desc, sub limit ${limit}`.execute(db);
  return rows;
}
