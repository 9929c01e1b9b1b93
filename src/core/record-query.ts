import { sql, type SqlBool } from 'kysely';
import { RECORD } from '../data/record.repository.js';
import { sqlFilterForResource, type SqlFilter } from '../data/policy-sql.js';
import { AppError } from '../errors.js';
import type { FieldModel, ResourceModel } from '../model/model.js';
import { fieldsOnType, resourceOf } from '../policy/field-access.js';
import { assertNoNul } from './no-nul.js';
import { consentFilter, purposeOf } from './purpose-consent.js';
import type { RequestContext } from './request-context.js';

export interface RecordQuery {
  /** field -> exact value (text as sent); a `string[]` field means "contains". */
  filter?: Record<string, string>;
  /** `field` or `-field` (descending). */
  sort?: string;
}

export interface CompiledRecordQuery {
  where: SqlFilter[];
  sort: { field: FieldModel; descending: boolean };
}

/** Types an exact-match filter makes sense on (not timestamps, not files). */
const FILTERABLE = new Set(['id', 'ref', 'string', 'text', 'enum', 'boolean', 'integer', 'decimal', 'date', 'string[]']);
/** Types with a total order; keyset paging also needs the field never null. */
const SORTABLE = new Set(['id', 'string', 'enum', 'integer', 'decimal', 'date', 'timestamp']);

/** The fields of `r` a list may filter on (the caller must still read them in clear). */
export const filterableFields = (r: ResourceModel) => r.fields.filter((f) => FILTERABLE.has(f.type) && f.column !== null);
/** The fields of `r` a list may sort on (the caller must still read them in clear on every record). */
export const sortableFields = (r: ResourceModel) => r.fields.filter((f) => SORTABLE.has(f.type) && !f.nullable && f.column !== null);

const MAX_FILTER_TEXT = 200;
const BOOLEAN = new Set(['true', 'false']);
const NUMBER = /^-?[0-9]{1,30}(\.[0-9]{1,30})?$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

const notQueryable = (fields: string[], argument: 'filter' | 'sort') =>
  new AppError('FIELD_NOT_QUERYABLE', `Only fields you can read in clear can be ${argument === 'filter' ? 'filtered' : 'sorted'} on: ${fields.join(', ')}.`, { fields, argument });

const invalid = (message: string, fields: string[], argument: 'filter' | 'sort') => new AppError('VALIDATION_FAILED', message, { fields, argument });

/**
 * Filter and sort for any stored resource, refusing any field the caller cannot read in
 * clear (searching a masked column would reveal it one guess at a time). Where a field
 * is clear only on some records, a filter matches only those, and sorting is refused
 * unless it is clear on every record the caller sees: the customer list's rules, from
 * the model instead of a list of names.
 */
export async function compileRecordQuery(ctx: RequestContext, r: ResourceModel, query: RecordQuery, visible: SqlFilter[]): Promise<CompiledRecordQuery> {
  const clearSomewhere = new Set(fieldsOnType(ctx.ability, resourceOf(ctx.policy, r.name), 'read', r.name));
  const fields = new Map(r.fields.map((f) => [f.name, f]));
  const filter = query.filter ?? {};
  // GraphQL arguments reach here without the REST door's NUL check.
  assertNoNul(filter, query.sort);
  const unknown = Object.keys(filter).filter((name) => !FILTERABLE.has(fields.get(name)?.type ?? ''));
  if (unknown.length > 0) throw invalid(`These fields cannot be filtered on: ${unknown.join(', ')}.`, unknown, 'filter');
  const hidden = Object.keys(filter).filter((name) => !clearSomewhere.has(name));
  if (hidden.length > 0) throw notQueryable(hidden, 'filter');
  const where: SqlFilter[] = [];
  for (const [name, value] of Object.entries(filter)) where.push(clearFilter(ctx, r, name), equals(fields.get(name)!, value));

  const descending = query.sort?.startsWith('-') ?? false;
  const name = query.sort ? query.sort.replace(/^-/, '') : r.id.name;
  const sortable = sortableFields(r);
  const field = sortable.find((f) => f.name === name);
  if (!field) throw invalid(`sort must be one of ${sortable.map((f) => f.name).join(', ')} (prefix - for descending).`, [name], 'sort');
  if (field !== r.id) {
    if (!clearSomewhere.has(name)) throw notQueryable([name], 'sort');
    const clear = clearFilter(ctx, r, name);
    const maskedSomewhere = await ctx.db
      .withoutPlugins()
      .selectFrom(`${r.table.schema}.${r.table.name} as ${RECORD}` as never)
      .select(sql`1`.as('one'))
      .where((eb) => eb.and([...visible.map((v) => v(eb)), sql<SqlBool>`not coalesce(${clear(eb)}, false)`]))
      .limit(1)
      .executeTakeFirst();
    if (maskedSomewhere) throw notQueryable([name], 'sort');
  }
  return { where, sort: { field, descending } };
}

/**
 * Records on which the caller reads `field` in clear: for a contact field of the purpose
 * the request declares, only those whose subject consented (a filter or sort must not
 * reveal what the record withholds).
 */
function clearFilter(ctx: RequestContext, r: ResourceModel, field: string): SqlFilter {
  const clear = sqlFilterForResource(ctx.ability, ['read'], r, RECORD, field) ?? (() => sql<SqlBool>`false`);
  const purpose = purposeOf(ctx, r);
  if (!purpose?.contact.includes(field)) return clear;
  const consent = consentFilter(purpose);
  return (eb) => eb.and([clear(eb), consent(eb)]);
}

/** `field = value`, with the text checked against the field's type first (never a database error). */
function equals(field: FieldModel, value: string): SqlFilter {
  const ref = sql.ref(`${RECORD}.${field.column}`);
  if (value.length > MAX_FILTER_TEXT) throw invalid(`The ${field.name} filter is too long.`, [field.name], 'filter');
  const wrong = (what: string) => invalid(`The ${field.name} filter must be ${what}.`, [field.name], 'filter');
  switch (field.type) {
    case 'boolean':
      if (!BOOLEAN.has(value)) throw wrong('true or false');
      return () => sql<SqlBool>`${ref} = ${value === 'true'}`;
    case 'integer':
    case 'decimal':
      if (!NUMBER.test(value)) throw wrong('a number');
      return () => sql<SqlBool>`${ref} = ${value}::numeric`;
    case 'date':
      if (!DATE.test(value) || Number.isNaN(Date.parse(value))) throw wrong('a date (YYYY-MM-DD)');
      return () => sql<SqlBool>`${ref} = ${value}::date`;
    case 'enum':
      if (!field.values!.includes(value)) throw wrong(`one of ${field.values!.join(', ')}`);
      return () => sql<SqlBool>`${ref} = ${value}`;
    case 'string[]':
      return () => sql<SqlBool>`${ref} @> ${[value]}::text[]`;
    case 'id':
    case 'ref':
      // Compared as text: whatever the key's column type, a malformed id matches nothing.
      return () => sql<SqlBool>`${ref}::text = ${value}`;
    default:
      return () => sql<SqlBool>`${ref} = ${value}`;
  }
}
