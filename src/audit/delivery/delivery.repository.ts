import { sql } from 'kysely';
import type { Db } from '../../data/database.js';
import type { AuditEventRow } from '../../data/audit-event.table.js';

/** Where a sink stands: the last acknowledged chain position ('0' before the first event). */
export async function readPosition(db: Db, sink: string): Promise<string> {
  await db.insertInto('auditDelivery').values({ sink }).onConflict((oc) => oc.column('sink').doNothing()).execute();
  const row = await db.selectFrom('auditDelivery').select('lastSeq').where('sink', '=', sink).executeTakeFirstOrThrow();
  return String(row.lastSeq);
}

/**
 * Moves a sink's position forward after its ack. Never backwards: a position only grows,
 * whatever a late or confused deliverer writes.
 */
export async function advancePosition(db: Db, sink: string, seq: string): Promise<void> {
  await db
    .updateTable('auditDelivery')
    .set({ lastSeq: seq, updatedAt: sql<Date>`now()`, lastError: null })
    .where('sink', '=', sink)
    .where('lastSeq', '<', seq)
    .execute();
}

/** Says why the last attempt failed (no secret: sinks give messages naming status or cause only). */
export async function recordFailure(db: Db, sink: string, error: string): Promise<void> {
  await db.updateTable('auditDelivery').set({ lastError: error.slice(0, 1000), updatedAt: sql<Date>`now()` }).where('sink', '=', sink).execute();
}

/** The next events after `afterSeq`, in chain order (visible rows form a gapless prefix). */
export async function readEventsAfter(db: Db, afterSeq: string, limit: number): Promise<AuditEventRow[]> {
  return db.selectFrom('auditEvents').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
}

/** The chain position of the newest event ('0' on an empty trail). */
export async function chainHead(db: Db): Promise<string> {
  const top = await db.selectFrom('auditEvents').select((eb) => eb.fn.max('seq').as('head')).executeTakeFirst();
  return String(top?.head ?? 0);
}

/** Per sink, how many events of the chain it has not acknowledged yet. */
export async function deliveryLag(db: Db, sinks: readonly string[]): Promise<Record<string, number>> {
  const positions = sinks.length === 0 ? [] : await db.selectFrom('auditDelivery').select(['sink', 'lastSeq']).where('sink', 'in', sinks).execute();
  const headSeq = BigInt(await chainHead(db));
  const at = new Map(positions.map((p) => [p.sink, BigInt(p.lastSeq)]));
  return Object.fromEntries(sinks.map((sink) => [sink, Number(headSeq - (at.get(sink) ?? 0n))]));
}
