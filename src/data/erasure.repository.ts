import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { anonymousValue } from '../model/erasure-rules.js';
import type { FieldModel, ResourceModel } from '../model/model.js';
import type { Db } from './database.js';
import { ID_TEXT } from './record.repository.js';

/**
 * The SQL of erasure (GDPR Art. 17) and legal holds, over any stored resource of the
 * model. Identifiers come from the model, never a request; ids are bound parameters.
 */
type AnyDb = Kysely<any>;
const raw = (db: Db): AnyDb => db.withoutPlugins() as unknown as AnyDb;
const table = (r: ResourceModel) => `${r.table.schema}.${r.table.name}`;
const key = (r: ResourceModel) => sql.ref(`${r.table.name}.${r.id.column}`);

/** A key the column cannot hold (not a UUID for a uuid key) names no record. */
async function orNothingOnBadKey<T>(work: Promise<T>, nothing: T): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '22P02' || code === '22003' || code === '22007') return nothing;
    throw err;
  }
}

/** The record's id as text, locked for update until the transaction ends; undefined if there is none. */
export async function lockRecord(db: Db, r: ResourceModel, id: string): Promise<string | undefined> {
  if (!ID_TEXT.test(id)) return undefined;
  const query = raw(db).selectFrom(table(r)).select(sql<string>`${key(r)}::text`.as('id')).where(key(r), '=', id).forUpdate();
  const row = await orNothingOnBadKey(query.executeTakeFirst(), undefined);
  return row?.id;
}

/** Ids of `child`'s records whose `field` points at one of `parentIds`, locked for update, in id order. */
export async function lockChildren(db: Db, child: ResourceModel, field: FieldModel, parentIds: readonly string[]): Promise<string[]> {
  if (parentIds.length === 0) return [];
  const rows = await raw(db)
    .selectFrom(table(child))
    .select(sql<string>`${key(child)}::text`.as('id'))
    // Compared in the column's own type (the array's type is inferred from it): its index serves.
    .where(sql<SqlBool>`${sql.ref(`${child.table.name}.${field.column}`)} = any(${[...parentIds]})`)
    .orderBy(key(child))
    .forUpdate()
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Sets each field of `deleted` to null and each of `anonymised` to its fixed replacement,
 * on the records `ids`. Nothing else of the rows changes (not even an `updated` stamp).
 */
export async function eraseColumns(db: Db, r: ResourceModel, ids: readonly string[], deleted: readonly FieldModel[], anonymised: readonly FieldModel[]): Promise<void> {
  if (ids.length === 0 || deleted.length + anonymised.length === 0) return;
  const set: Record<string, RawBuilder<unknown> | null> = {};
  for (const f of deleted) set[f.column!] = null;
  for (const f of anonymised) {
    const value = anonymousValue(f);
    if ('emailOfKey' in value) set[f.column!] = sql`'erased-' || left(${key(r)}::text, 8) || '@invalid'`;
    else if (Array.isArray(value)) set[f.column!] = sql`${value}::text[]`;
    else set[f.column!] = sql`${value.value}`;
  }
  await raw(db)
    .updateTable(table(r))
    .set(set)
    .where(sql<SqlBool>`${key(r)} = any(${[...ids]})`)
    .execute();
}

/** Deletes the bytes (chunks) and file metadata of the records `ids`; how many records had any. */
export async function removeFiles(db: Db, r: ResourceModel, ids: readonly string[]): Promise<number> {
  if (ids.length === 0 || !r.file) return 0;
  const chunks = r.file.chunks;
  const owner = sql.ref(`${chunks.table.name}.${chunks.owner}`);
  const gone = await raw(db)
    .deleteFrom(`${chunks.table.schema}.${chunks.table.name}`)
    .where(sql<SqlBool>`${owner} = any(${[...ids]})`)
    .returning(sql<string>`${owner}::text`.as('owner'))
    .execute();
  const meta = await raw(db)
    .deleteFrom('record_files')
    .where('resource_type', '=', r.name)
    .where(sql<SqlBool>`record_id = any(${[...ids]})`)
    .returning(sql<string>`record_id::text`.as('owner'))
    .execute();
  return new Set([...gone, ...meta].map((row) => row.owner)).size;
}

/**
 * The ids among `ids` of records of `resource` under an active legal hold (not released,
 * its `until` not passed), in id order. What retention asks before it erases anything.
 */
export async function activeHolds(db: Db, resource: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await raw(db)
    .selectFrom('legal_holds')
    .select('record_id')
    .where('resource_type', '=', resource)
    .where(sql<SqlBool>`record_id = any(${[...ids]}::text[])`)
    .where('released_at', 'is', null)
    .where(sql<SqlBool>`(until IS NULL OR until > now())`)
    .orderBy('record_id')
    .execute();
  return rows.map((row) => row.record_id as string);
}

export interface LegalHold {
  resource: string;
  id: string;
  until: string | null;
  placedBy: string;
  placedAt: string;
}

const holdOf = (row: Record<string, unknown>): LegalHold => ({
  resource: row.resource_type as string,
  id: row.record_id as string,
  until: row.until ? (row.until as Date).toISOString() : null,
  placedBy: row.placed_by as string,
  placedAt: (row.placed_at as Date).toISOString(),
});

/** Places (or replaces: new reason, new end) the record's active hold. */
export async function placeHold(db: Db, resource: string, id: string, reason: string, until: Date | null, by: string): Promise<LegalHold> {
  const row = await raw(db)
    .insertInto('legal_holds')
    .values({ resource_type: resource, record_id: id, reason, until, placed_by: by })
    .onConflict((oc) =>
      oc
        .columns(['resource_type', 'record_id'])
        .where('released_at', 'is', null)
        .doUpdateSet({ reason, until, placed_by: by, placed_at: sql`now()` }),
    )
    .returning(['resource_type', 'record_id', 'until', 'placed_by', 'placed_at'])
    .executeTakeFirstOrThrow();
  return holdOf(row);
}

/** Releases the record's unreleased hold (an expired one too); undefined if it has none. */
export async function releaseHold(db: Db, resource: string, id: string, by: string): Promise<{ releasedAt: string } | undefined> {
  const row = await raw(db)
    .updateTable('legal_holds')
    .set({ released_by: by, released_at: sql`now()` })
    .where('resource_type', '=', resource)
    .where('record_id', '=', id)
    .where('released_at', 'is', null)
    .returning('released_at')
    .executeTakeFirst();
  return row ? { releasedAt: (row.released_at as Date).toISOString() } : undefined;
}

export async function recordErasure(db: Db, eventId: string, resource: string, id: string, reason: string, by: string): Promise<void> {
  await raw(db).insertInto('erasures').values({ event_id: eventId, resource_type: resource, record_id: id, reason, erased_by: by }).execute();
}

/**
 * People's own words about the erased records, beside the trail: the reasons and notes of
 * access requests to see their fields (a requester may have named the person in them).
 * The requests stay, as the grants they were, with their reason replaced.
 */
export async function eraseRequestWords(db: Db, resource: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await raw(db)
    .updateTable('access_requests')
    .set({ reason: '[erased]', decision_note: null, revoke_note: null })
    .where('resource_type', '=', resource)
    .where('record_id', 'in', [...ids])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The chain position of an audit event written in this transaction (or committed). */
export async function auditSeq(db: Db, eventId: string): Promise<string> {
  const row = await raw(db).selectFrom('audit_events').select(sql<string>`seq::text`.as('seq')).where('event_id', '=', eventId).executeTakeFirstOrThrow();
  return row.seq;
}
