import { sql, type SqlBool } from 'kysely';
import type { SqlFilter } from '../data/policy-sql.js';
import { AppError } from '../errors.js';
import { fieldsOnType, resourceOf } from '../policy/field-access.js';
import { assertNoNul } from './no-nul.js';
import { clearFilterFor } from './record-access.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Customer';
/** Equality filters: text columns, the privacy level and the opt-out flag. */
const FILTERABLE = new Set(['fullName', 'email', 'phone', 'address', 'iban', 'taxId', 'notes', 'privacyLevel', 'marketingOptOut', 'assignees']);
/** Keyset sorting needs non-null columns. */
const SORTABLE = new Set(['id', 'fullName', 'createdAt', 'updatedAt']);

export interface ListQuery {
  /** field -> exact value; `assignees` means "contains". */
  filter?: Record<string, string>;
  /** `field` or `-field` (descending). */
  sort?: string;
}

export interface CompiledListQuery {
  where: SqlFilter[];
  sort: { field: string; descending: boolean };
}

/** `argument` says which list argument is wrong, so REST can name the query parameter. */
const notQueryable = (fields: string[], argument: 'filter' | 'sort') =>
  new AppError('FIELD_NOT_QUERYABLE', `Only fields you can read in clear can be ${argument === 'filter' ? 'filtered' : 'sorted'} on: ${fields.join(', ')}.`, { fields, argument });

/**
 * Turns filter and sort into SQL, refusing any field the caller cannot read in clear:
 * searching a masked column would reveal it one guess at a time. Where a field is clear
 * only on some records (row-dependent rules), a filter matches only those records, and
 * sorting is refused unless the field is clear on every record the caller sees.
 */
export async function compileListQuery(ctx: RequestContext, query: ListQuery, visible: SqlFilter): Promise<CompiledListQuery> {
  const resource = resourceOf(ctx.policy, TYPE);
  const clearSomewhere = new Set(fieldsOnType(ctx.ability, resource, 'read', TYPE));
  const where: SqlFilter[] = [];
  const filter = query.filter ?? {};
  // GraphQL arguments reach here without the REST door's NUL check.
  assertNoNul(filter, query.sort);
  const unknown = Object.keys(filter).filter((f) => !FILTERABLE.has(f));
  if (unknown.length > 0) throw new AppError('VALIDATION_FAILED', `These fields cannot be filtered on: ${unknown.join(', ')}.`, { fields: unknown, argument: 'filter' });
  const hidden = Object.keys(filter).filter((f) => !clearSomewhere.has(f));
  if (hidden.length > 0) throw notQueryable(hidden, 'filter');
  for (const [field, value] of Object.entries(filter)) {
    where.push(clearFilter(ctx, field), equals(field, value));
  }

  const descending = query.sort?.startsWith('-') ?? false;
  const field = query.sort ? query.sort.replace(/^-/, '') : 'id';
  if (!SORTABLE.has(field)) throw new AppError('VALIDATION_FAILED', `sort must be one of ${[...SORTABLE].join(', ')} (prefix - for descending).`, { argument: 'sort' });
  if (field !== 'id') {
    if (!clearSomewhere.has(field)) throw notQueryable([field], 'sort');
    const clear = clearFilter(ctx, field);
    const maskedSomewhere = await ctx.db
      .selectFrom('customers')
      .select('id')
      .where(visible)
      .where((eb) => sql<SqlBool>`not coalesce(${clear(eb)}, false)`)
      .limit(1)
      .executeTakeFirst();
    if (maskedSomewhere) throw notQueryable([field], 'sort');
  }
  return { where, sort: { field, descending } };
}

/** Rows on which the caller reads `field` in clear. */
function clearFilter(ctx: RequestContext, field: string): SqlFilter {
  return clearFilterFor(ctx, TYPE, field);
}

function equals(field: string, value: string): SqlFilter {
  if (field === 'marketingOptOut') {
    if (value !== 'true' && value !== 'false') throw new AppError('VALIDATION_FAILED', 'marketingOptOut filter must be true or false.', { fields: [field], argument: 'filter' });
    return (eb) => eb(eb.ref(field), '=', value === 'true');
  }
  if (value.length > 200) throw new AppError('VALIDATION_FAILED', `The ${field} filter is too long.`, { fields: [field], argument: 'filter' });
  if (field === 'assignees') return (eb) => sql<SqlBool>`${eb.ref(field)} @> ${[value]}::text[]`;
  return (eb) => eb(eb.ref(field), '=', value);
}
