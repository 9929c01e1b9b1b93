import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { FieldModel, ResourceModel } from '../model/model.js';
import type { Db } from './database.js';

/**
 * The SQL of retention: which records of a resource are past their period, their
 * children, and taking them away with their files. Identifiers come from the model,
 * never from a request; ids travel as text (an adopted table's key may not be a uuid).
 */
type AnyDb = Kysely<any>;
const raw = (db: Db): AnyDb => db.withoutPlugins() as unknown as AnyDb;
const tableOf = (r: ResourceModel) => sql.table(`${r.table.schema}.${r.table.name}`);
const key = (r: ResourceModel) => sql.ref(r.id.column!);

/**
 * Past retention at `now`: the `from` field lies more than the period before it, and, for
 * `then: erase`, the record was never erased as a subject. The cutoff is computed by
 * PostgreSQL (`2 years` before a date is calendar arithmetic); a null `from` never
 * expires. A date compares as its midnight.
 */
function expired(r: ResourceModel, now: Date): RawBuilder<SqlBool> {
  const rule = r.retention!;
  const past = sql<SqlBool>`${sql.ref(rule.from.column!)} < (${now.toISOString()}::timestamptz - ${rule.interval}::interval)`;
  if (rule.then !== 'erase') return past;
  // An erased record stays (what is kept on a legal basis): once erased, it is done.
  return sql<SqlBool>`${past} and not exists (select 1 from erasures e where e.resource_type = ${r.name} and e.record_id = ${key(r)}::text)`;
}

/** How many records of `r` are past retention at `now`. */
export async function countExpired(db: Db, r: ResourceModel, now: Date): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${tableOf(r)} where ${expired(r, now)}`.execute(raw(db));
  return Number(rows[0]!.n);
}

export interface ExpiredQuery {
  limit: number;
  /** Ids to pass over (held, or still referred to): text, as returned. */
  skip?: readonly string[];
  /** Keyset position: only ids after this one (the dry run pages through them all). */
  after?: string | null;
  /** Only this record, if it is still past retention. */
  only?: string;
  /** Lock the rows (inside the batch's transaction); rows another run holds are passed over. */
  lock?: boolean;
}

/** Ids of records of `r` past retention at `now`, in key order. */
export async function expiredIds(db: Db, r: ResourceModel, now: Date, q: ExpiredQuery): Promise<string[]> {
  const skip = q.skip && q.skip.length > 0 ? sql`and ${key(r)}::text <> all(${[...q.skip]}::text[])` : sql``;
  const after = q.after ? sql`and ${key(r)} > ${q.after}` : sql``;
  const only = q.only !== undefined ? sql`and ${key(r)} = ${q.only}` : sql``;
  const lock = q.lock ? sql`for update skip locked` : sql``;
  const { rows } = await sql<{ id: string }>`
    select ${key(r)}::text as id from ${tableOf(r)}
    where ${expired(r, now)} ${skip} ${after} ${only}
    order by ${key(r)} limit ${q.limit} ${lock}`.execute(raw(db));
  return rows.map((row) => row.id);
}

/** Ids of the `child` records whose parent field names one of `parentIds`. */
export async function childIds(db: Db, child: ResourceModel, field: FieldModel, parentIds: readonly string[]): Promise<string[]> {
  if (parentIds.length === 0) return [];
  // The array parameter takes the column's own type, so the ref's index serves.
  const { rows } = await sql<{ id: string }>`
    select ${key(child)}::text as id from ${tableOf(child)} where ${sql.ref(field.column!)} = any(${[...parentIds]}) order by ${key(child)}`.execute(raw(db));
  return rows.map((row) => row.id);
}

/** Deletes these records of `r` and, for a resource with a file, its bytes and what record_files knew of them. */
export async function deleteRecords(db: Db, r: ResourceModel, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const list = [...ids];
  if (r.file) {
    const chunks = sql.table(`${r.file.chunks.table.schema}.${r.file.chunks.table.name}`);
    await sql`delete from ${chunks} where ${sql.ref(r.file.chunks.owner)} = any(${list})`.execute(raw(db));
    await sql`delete from record_files where resource_type = ${r.name} and record_id::text = any(${list}::text[])`.execute(raw(db));
  }
  const result = await sql`delete from ${tableOf(r)} where ${key(r)} = any(${list})`.execute(raw(db));
  return Number(result.numAffectedRows ?? 0);
}

/** Each of these records of `r` with the id its `field` (a ref) points at, as text. */
export async function refsOf(db: Db, r: ResourceModel, field: FieldModel, ids: readonly string[]): Promise<Array<{ id: string; ref: string }>> {
  if (ids.length === 0) return [];
  const { rows } = await sql<{ id: string; ref: string }>`
    select ${key(r)}::text as id, ${sql.ref(field.column!)}::text as ref from ${tableOf(r)} where ${key(r)} = any(${[...ids]})`.execute(raw(db));
  return rows;
}

/** The `child` records under `parentIds`, each with its parent's id, as text. */
export async function childLinks(db: Db, child: ResourceModel, field: FieldModel, parentIds: readonly string[]): Promise<Array<{ id: string; ref: string }>> {
  if (parentIds.length === 0) return [];
  const { rows } = await sql<{ id: string; ref: string }>`
    select ${key(child)}::text as id, ${sql.ref(field.column!)}::text as ref from ${tableOf(child)} where ${sql.ref(field.column!)} = any(${[...parentIds]})`.execute(raw(db));
  return rows;
}
