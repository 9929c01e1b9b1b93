import { CompiledQuery, sql, type AliasedRawBuilder, type Kysely, type SqlBool } from 'kysely';
import type { FieldModel, ResourceModel } from '../model/model.js';
import type { Db } from './database.js';
import type { SqlFilter } from './policy-sql.js';
import { prepareOnEachConnection } from './prepared-statements.js';
import { timestampText } from './timestamp-text.js';

/**
 * Records of any stored resource of the model, in its table and under its columns (an
 * adopted table keeps its own names). Queries run without the CamelCasePlugin: every
 * identifier here is the model's column, qualified by the alias RECORD. Values leave as
 * plain JSON: timestamps as ISO strings, dates as YYYY-MM-DD, decimals as strings (no
 * precision lost), ids as strings whatever the key's column type.
 */
export type RecordValues = Record<string, unknown>;

/** The alias of the record's own table in every query, for visibility filters to name. */
export const RECORD = 'r';

type AnyDb = Kysely<any>;
const raw = (db: Db): AnyDb => db.withoutPlugins() as unknown as AnyDb;

const tableOf = (r: ResourceModel, alias: string) => `${r.table.schema}.${r.table.name} as ${alias}`;

/**
 * The columns a record is read from, each under its field's name; a `file` field reads
 * what record_files knows of its bytes (media type, size, sha256), null before an upload.
 */
export function selection(r: ResourceModel, alias = RECORD): AliasedRawBuilder<unknown, string>[] {
  const columns = stored(r).map((f) => {
    const ref = sql.ref(`${alias}.${f.column}`);
    // A date as text: pg would parse it into a Date at local midnight, shifting the day.
    // A timestamp as text too: toRecord writes its ISO form without a Date in between.
    const value = AS_TEXT.has(f.type) ? sql`${ref}::text` : ref;
    return sql`${value}`.as(f.name);
  });
  // The resource's name as a literal, not a parameter: the by-id query's placeholder is
  // found by its position among the parameters. Names are PascalCase (checked at load).
  const file = r.file ? [sql`(${fileMetadata(r, sql.ref(`${alias}.${r.id.column}`))})`.as(r.file.field.name)] : [];
  return [...columns, ...file];
}

/** Field types read as text: ids and refs whatever the key's type, dates, timestamps. */
const AS_TEXT = new Set<FieldModel['type']>(['id', 'ref', 'date', 'timestamp']);

/** `{ mediaType, sizeBytes, sha256 }` of the record's file, as JSON, or null. */
const fileMetadata = (r: ResourceModel, key: ReturnType<typeof sql.ref>) =>
  sql`SELECT json_build_object('mediaType', f.media_type, 'sizeBytes', f.size_bytes, 'sha256', f.sha256) FROM record_files f WHERE f.resource_type = ${sql.lit(r.name)} AND f.record_id = ${key}`;

/** Fields that live in a column (a `file` field's bytes live in its chunk table). */
const stored = (r: ResourceModel): FieldModel[] => r.fields.filter((f) => f.column !== null);

/** A value as the core sees it: any `Date` pg made as ISO text, null for nothing. */
const plain = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : (value ?? null));

/** How one field's value is turned from what pg returns into what the core sees. */
function converterOf(f: FieldModel): (value: unknown) => unknown {
  switch (f.type) {
    case 'timestamp':
      return (value) => (typeof value === 'string' ? timestampText(value) : plain(value));
    case 'integer':
      // A bigint column arrives as text; the model promises a number.
      return (value) => (typeof value === 'string' ? Number(value) : plain(value));
    case 'decimal':
      // A real or double column arrives as a number; decimals leave as text (no precision lost).
      return (value) => (typeof value === 'number' ? String(value) : plain(value));
    case 'string[]':
      return (value) => (value instanceof Date ? value.toISOString() : (value ?? []));
    default:
      return plain;
  }
}

/** The fields of a resource's rows with their converters, worked out once per resource. */
interface RowShape {
  names: string[];
  converters: Array<(value: unknown) => unknown>;
  file: string | null;
}
const rowShapes = new WeakMap<ResourceModel, RowShape>();

function rowShapeOf(r: ResourceModel): RowShape {
  let shape = rowShapes.get(r);
  if (!shape) {
    const fields = stored(r);
    shape = { names: fields.map((f) => f.name), converters: fields.map(converterOf), file: r.file ? r.file.field.name : null };
    rowShapes.set(r, shape);
  }
  return shape;
}

/** A row as the core sees it (every row of every read passes here: no per-row lookups). */
export function toRecord(r: ResourceModel, row: Record<string, unknown>): RecordValues {
  const { names, converters, file } = rowShapeOf(r);
  const record: RecordValues = {};
  for (let i = 0; i < names.length; i++) record[names[i]!] = converters[i]!(row[names[i]!]);
  if (file !== null) record[file] = row[file] ?? null;
  return record;
}

/**
 * An id the key column cannot hold (not a UUID for a uuid key, not a number for an
 * integer one) is refused by PostgreSQL with 22P02 / 22003: for a read that is simply a
 * record that does not exist, found by the same path as any other id.
 */
async function orNothingOnBadKey<T>(work: Promise<T>, nothing: T): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '22P02' || code === '22003' || code === '22007') return nothing;
    throw err;
  }
}

/**
 * What any key column's id looks like as text (a UUID, a number, a short code). Anything
 * else (a NUL, a lone surrogate, 5 000 characters) names no record and never reaches
 * PostgreSQL, which would refuse some of it with an error rather than find nothing.
 */
export const ID_TEXT = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Stand-ins for the values a cached statement takes per call (see `cachedStatement`):
 * objects, found by identity, so no filter's value can ever be taken for one.
 */
const ID = { standIn: 'id' };
const AFTER_VALUE = { standIn: 'after value' };
const AFTER_ID = { standIn: 'after id' };
const LIMIT = { standIn: 'limit' };

const cachedStatements = new WeakMap<readonly SqlFilter[], Map<string, CompiledQuery>>();

/**
 * The statement `build` compiles, compiled once per filter list (by identity: the
 * visibility filters are memoised per ability) and `shape`, then kept as its text and
 * values only (kysely's operation tree is of no use once compiled without plugins, and
 * abilities are cached by the thousand). `prepare` runs it as a named statement on each
 * connection: only for filter lists that hold no value a caller typed, since a caller's
 * filter values could make a generic plan a bad one.
 */
function cachedStatement(where: readonly SqlFilter[], shape: string, prepare: boolean, build: () => CompiledQuery): CompiledQuery {
  let byShape = cachedStatements.get(where);
  if (!byShape) cachedStatements.set(where, (byShape = new Map()));
  let statement = byShape.get(shape);
  if (!statement) {
    const compiled = build();
    statement = CompiledQuery.raw(compiled.sql, [...compiled.parameters]);
    byShape.set(shape, statement);
    if (prepare) prepareOnEachConnection(statement.sql);
  }
  return statement;
}

/** `statement` with each stand-in replaced by this call's value for it. */
const withValues = (statement: CompiledQuery, valueOf: (standIn: object) => unknown): CompiledQuery => ({
  ...statement,
  parameters: statement.parameters.map((p) => (p === ID || p === AFTER_VALUE || p === AFTER_ID || p === LIMIT ? valueOf(p) : p)),
});

/**
 * The record with this id, if every filter lets the caller see it. The busiest query:
 * compiled once per resource and filter list, after which a read only puts the id in
 * place, and PostgreSQL runs it as a prepared statement.
 */
export async function findVisibleRecord(
  db: Db,
  r: ResourceModel,
  id: string,
  where: readonly SqlFilter[],
  options: { forUpdate?: boolean } = {},
): Promise<RecordValues | undefined> {
  if (!ID_TEXT.test(id)) return undefined;
  const statement = cachedStatement(where, `by id|${r.name}|${options.forUpdate ? 'update' : 'read'}`, true, () => {
    let query = raw(db).selectFrom(tableOf(r, RECORD)).select(selection(r)).where(sql.ref(`${RECORD}.${r.id.column}`), '=', ID);
    for (const filter of where) query = query.where(filter);
    return (options.forUpdate ? query.forUpdate() : query).compile();
  });
  const result = await orNothingOnBadKey(raw(db).executeQuery<Record<string, unknown>>(withValues(statement, () => id)), undefined);
  const row = result?.rows[0];
  return row && toRecord(r, row);
}

/** The records among `ids` that the filters let through, in one statement, in id order. */
export async function findVisibleRecords(db: Db, r: ResourceModel, given: readonly string[], where: SqlFilter[]): Promise<RecordValues[]> {
  const ids = given.filter((id) => ID_TEXT.test(id));
  if (ids.length === 0) return [];
  const key = sql.ref(`${RECORD}.${r.id.column}`);
  // Compared in the key's own type (the array's type is inferred from the column), so
  // the primary key's index serves the batch; ids come from stored refs.
  let query = raw(db).selectFrom(tableOf(r, RECORD)).select(selection(r)).where(sql<SqlBool>`${key} = any(${[...ids]})`);
  for (const filter of where) query = query.where(filter);
  const rows = await orNothingOnBadKey(query.orderBy(key).execute(), []);
  return rows.map((row) => toRecord(r, row as Record<string, unknown>));
}

export interface RecordPageQuery {
  /** All must hold: visibility first, then the caller's filters. */
  where: readonly SqlFilter[];
  sort: { field: FieldModel; descending: boolean };
  /** Keyset position: the sort value (as text) and id of the previous page's last row. */
  after: { value: string; id: string } | null;
  limit: number;
  /**
   * `where` is a list later pages and requests pass again (a memoised visibility, an
   * export's selection) and holds no value a caller typed: its statement is prepared
   * on each connection. A caller's filter values could make a generic plan a bad one.
   */
  prepare?: boolean;
}

/**
 * One page of the records the filters let through, in a stable keyset order (id breaks
 * ties). Every list request runs this: its statement is compiled once per filter list,
 * resource, sort and first-or-later page; a page only puts its keyset position and
 * limit in place.
 */
export async function listVisibleRecords(db: Db, r: ResourceModel, page: RecordPageQuery): Promise<RecordValues[]> {
  const shape = `page|${r.name}|${page.sort.field.name}|${page.sort.descending ? 'desc' : 'asc'}|${page.after ? 'after' : 'first'}`;
  const statement = cachedStatement(page.where, shape, page.prepare ?? false, () => pageQuery(db, r, page).compile());
  const { after, limit } = page;
  const valueOf = (standIn: object) => (standIn === LIMIT ? limit : standIn === AFTER_ID ? after?.id : after?.value);
  const { rows } = await raw(db).executeQuery<Record<string, unknown>>(withValues(statement, valueOf));
  return rows.map((row) => toRecord(r, row));
}

/** A page's statement with stand-ins for its keyset position and limit. */
function pageQuery(db: Db, r: ResourceModel, page: RecordPageQuery) {
  let query = raw(db).selectFrom(tableOf(r, RECORD)).select(selection(r));
  for (const filter of page.where) query = query.where(filter);
  const key = sql.ref(`${RECORD}.${r.id.column}`);
  const sortRef = sql.ref(`${RECORD}.${page.sort.field.column}`);
  const direction = page.sort.descending ? sql`desc` : sql`asc`;
  const op = page.sort.descending ? sql`<` : sql`>`;
  const byId = page.sort.field === r.id;
  if (page.after) {
    // Compared as the column's own type: the cursor's text is cast to it.
    query = byId
      ? query.where(sql<SqlBool>`${key} ${op} ${AFTER_ID}`)
      : query.where(sql<SqlBool>`(${sortRef}, ${key}) ${op} (${AFTER_VALUE}::${sql.raw(castType(page.sort.field))}, ${AFTER_ID})`);
  }
  query = query.orderBy(sql`${sortRef} ${direction}`);
  if (!byId) query = query.orderBy(sql`${key} ${direction}`);
  return query.limit(sql<number>`${LIMIT}`);
}

/** The SQL type a keyset value is cast back to, per sortable field type. */
function castType(field: FieldModel): string {
  switch (field.type) {
    case 'timestamp':
      return 'timestamptz';
    case 'date':
      return 'date';
    case 'integer':
      return 'bigint';
    case 'decimal':
      return 'numeric';
    default:
      return 'text';
  }
}

/** Ids of every record the filters let through, in id order (an export's selection). */
export async function visibleRecordIds(db: Db, r: ResourceModel, where: SqlFilter[]): Promise<string[]> {
  const key = sql.ref(`${RECORD}.${r.id.column}`);
  let query = raw(db).selectFrom(tableOf(r, RECORD)).select(sql<string>`${key}::text`.as('id'));
  for (const filter of where) query = query.where(filter);
  const rows = await query.orderBy(key).execute();
  return rows.map((row) => (row as { id: string }).id);
}

/** Streams the given records from a server-side cursor, in id order, never all in memory. */
export async function* streamRecords(db: Db, r: ResourceModel, ids: readonly string[]): AsyncIterable<RecordValues> {
  if (ids.length === 0) return;
  const stream = raw(db)
    .selectFrom(tableOf(r, RECORD))
    .select(selection(r))
    .where(amongIds(r, ids))
    .orderBy(sql.ref(`${RECORD}.${r.id.column}`))
    .stream(500);
  for await (const row of stream) yield toRecord(r, row as Record<string, unknown>);
}

/** A filter: only these records (ids selected and counted earlier). */
export const amongIds =
  (r: ResourceModel, ids: readonly string[]): SqlFilter =>
  () =>
    sql<SqlBool>`${sql.ref(`${RECORD}.${r.id.column}`)} = any(${[...ids]})`;

/** How many records match `where`, without reading them. */
export async function countRecords(db: Db, r: ResourceModel, where: readonly SqlFilter[]): Promise<number> {
  let query = raw(db).selectFrom(tableOf(r, RECORD)).select(sql<number>`count(*)::int`.as('n'));
  for (const filter of where) query = query.where(filter);
  const row = (await query.executeTakeFirst()) as { n: number } | undefined;
  return row?.n ?? 0;
}

/** Column -> value for a write; `generated: updated` fields are stamped by the database. */
function columnsOf(r: ResourceModel, values: RecordValues, mode: 'create' | 'update'): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const f of stored(r)) {
    if (f.generated === 'updated' || (f.generated === 'created' && mode === 'create')) columns[f.column!] = sql`now()`;
    else if (f.name in values) columns[f.column!] = f.type === 'string[]' ? sql`${values[f.name]}::text[]` : values[f.name];
  }
  return columns;
}

export async function insertRecord(db: Db, r: ResourceModel, values: RecordValues): Promise<RecordValues> {
  const row = await raw(db)
    .insertInto(`${r.table.schema}.${r.table.name}`)
    .values(columnsOf(r, values, 'create'))
    // An INSERT has no alias here: the returned columns are named by the table.
    .returning(selection(r, `${r.table.schema}.${r.table.name}`))
    .executeTakeFirstOrThrow();
  return toRecord(r, row as Record<string, unknown>);
}

export async function updateRecord(db: Db, r: ResourceModel, id: string, values: RecordValues): Promise<RecordValues> {
  const row = await raw(db)
    .updateTable(`${r.table.schema}.${r.table.name} as ${RECORD}`)
    .set(columnsOf(r, values, 'update'))
    .where(sql.ref(`${RECORD}.${r.id.column}`), '=', id)
    .returning(selection(r))
    .executeTakeFirstOrThrow();
  return toRecord(r, row as Record<string, unknown>);
}

export async function deleteRecord(db: Db, r: ResourceModel, id: string): Promise<void> {
  await raw(db).deleteFrom(`${r.table.schema}.${r.table.name} as ${RECORD}`).where(sql.ref(`${RECORD}.${r.id.column}`), '=', id).execute();
}

/**
 * Whether any record of `child` that the filters let through points at `parentId` through
 * `field` (children refuse a delete). With no filters: any child at all, seen or not.
 */
export async function hasChildren(db: Db, child: ResourceModel, field: FieldModel, parentId: string, where: readonly SqlFilter[] = []): Promise<boolean> {
  let query = raw(db)
    .selectFrom(tableOf(child, RECORD))
    .select(sql`1`.as('one'))
    .where(sql<SqlBool>`${sql.ref(`${RECORD}.${field.column}`)} = ${parentId}`);
  for (const filter of where) query = query.where(filter);
  const row = await query.limit(1).executeTakeFirst();
  return row !== undefined;
}
