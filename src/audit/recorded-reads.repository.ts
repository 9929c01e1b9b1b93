import { sql } from 'kysely';
import type { Db } from '../data/database.js';
import { EXPORT_RECORDS } from './export-events.js';

/** A read the trail recorded: who, as which roles, when, which records and how their fields were shown. */
export interface RecordedRead {
  seq: string;
  occurredAt: Date;
  actorSub: string;
  actorRoles: string[];
  action: string;
  resourceType: string;
  resourceIds: string[];
  outcome: 'allowed' | 'denied';
  fieldsClear: string[];
  fieldsMasked: string[];
  fieldsWithheld: string[];
}

/** Actions whose events record records shown to their actor (a preview's fields are someone else's). */
export const READ_EVENT_ACTIONS = ['read', 'list', 'export', EXPORT_RECORDS] as const;

/**
 * One batch of the reads of `resourceTypes` recorded since `since`, after position
 * `afterSeq`, oldest first: allowed reads, lists and exports that named records, and
 * reads refused as not found (the record did not exist for the caller; not a read refused
 * for its budget, which says nothing about the record). Reads of records a caller sent to
 * the decisions API (`details.source` `caller`) are left out: they are not our records,
 * and an id of theirs may name another record of ours.
 */
export async function recordedReads(db: Db, query: { since: Date; afterSeq: string | null; resourceTypes: readonly string[]; limit: number }): Promise<RecordedRead[]> {
  if (query.resourceTypes.length === 0) return [];
  let q = db
    .selectFrom('auditEvents')
    .select(['seq', 'occurredAt', 'actorSub', 'actorRoles', 'action', 'resourceType', 'resourceIds', 'outcome', 'fieldsClear', 'fieldsMasked', 'fieldsWithheld'])
    .where('occurredAt', '>=', query.since)
    .where('actorSub', 'is not', null)
    .where('resourceType', 'in', [...query.resourceTypes])
    .where(sql<boolean>`cardinality(resource_ids) > 0`)
    .where(sql<boolean>`(details->>'source') is distinct from 'caller'`)
    .where((eb) => eb.or([eb.and([eb('outcome', '=', 'allowed'), eb('action', 'in', [...READ_EVENT_ACTIONS])]), eb.and([eb('outcome', '=', 'denied'), eb('action', '=', 'read'), eb('reason', '=', sql<string>`resource_type || ' not found.'`)])]));
  if (query.afterSeq !== null) q = q.where('seq', '>', query.afterSeq);
  const rows = await q.orderBy('seq').limit(query.limit).execute();
  return rows.map((row) => ({ ...row, seq: String(row.seq), actorSub: row.actorSub! }));
}
