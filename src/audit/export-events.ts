import { sql, type RawBuilder } from 'kysely';

/**
 * The action of the events naming an export's records after its first chunk: the
 * `export` event names the first chunk, each `export.records` event the next one, with
 * `details.exportEventId` pointing back at the `export` event (see core/export-chunks.ts).
 * "Which records did file F hold" is the union of the ids of both; "which exports
 * included record X" finds either, and an `export.records` event leads to its export.
 */
export const EXPORT_RECORDS = 'export.records';

/**
 * SQL: how many records the export event under `alias` named, its `export.records`
 * events included (what the export was allowed to contain, when its ledger recorded no end).
 */
export const exportPlanned = (alias: string): RawBuilder<number> => {
  const e = (column: string) => sql.ref(`${alias}.${column}`);
  return sql<number>`(cardinality(${e('resource_ids')}) + coalesce((
    select sum(cardinality(k.resource_ids)) from audit_events k
    where k.actor_sub = ${e('actor_sub')} and k.occurred_at >= ${e('occurred_at')}
      and k.action = ${EXPORT_RECORDS} and k.details->>'exportEventId' = ${e('event_id')}::text), 0))::int`;
};
