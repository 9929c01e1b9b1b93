import type { CompiledQuery } from 'kysely';
import type { Db } from './database.js';
import type { CustomerRow } from './customer.table.js';
import type { SqlFilter } from './policy-sql.js';
import { prepareOnEachConnection } from './prepared-statements.js';

/** A customer as the core sees it: plain JSON values, timestamps as ISO strings. */
export interface Customer {
  id: string;
  fullName: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  iban: string | null;
  taxId: string | null;
  notes: string | null;
  privacyLevel: 'standard' | 'confidential';
  assignees: string[];
  marketingOptOut: boolean;
  createdAt: string;
  updatedAt: string;
}

const toCustomer = (row: CustomerRow): Customer => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** Stands in for the id while a by-id query is compiled once per visibility filter. */
const ID_PLACEHOLDER = '\u0000fieldguard:id\u0000';
type ByIdQuery = { query: CompiledQuery; idAt: number };
const byIdQueries = new WeakMap<SqlFilter, { plain?: ByIdQuery; forUpdate?: ByIdQuery }>();

/**
 * The customer with this id, if `visible` lets the caller see it. The busiest query of
 * the service: compiled once per visibility filter (filters are memoised per ability),
 * after which a read only substitutes the id instead of building and compiling a query,
 * and PostgreSQL runs it as a prepared statement.
 */
export async function findVisibleCustomer(
  db: Db,
  id: string,
  visible: SqlFilter,
  options: { forUpdate?: boolean } = {},
): Promise<Customer | undefined> {
  const kind = options.forUpdate ? 'forUpdate' : 'plain';
  let compiled = byIdQueries.get(visible);
  if (!compiled) byIdQueries.set(visible, (compiled = {}));
  let byId = compiled[kind];
  if (!byId) {
    const select = db.selectFrom('customers').selectAll().where('id', '=', ID_PLACEHOLDER).where(visible);
    const query = (options.forUpdate ? select.forUpdate() : select).compile();
    // The id is the first parameter (its WHERE comes first); found by position, so a
    // filter value that happened to equal the placeholder could never be replaced.
    byId = compiled[kind] = { query, idAt: query.parameters.indexOf(ID_PLACEHOLDER) };
    prepareOnEachConnection(query.sql);
  }
  const parameters = [...byId.query.parameters];
  parameters[byId.idAt] = id;
  const { rows } = await db.executeQuery<CustomerRow>({ ...byId.query, parameters });
  return rows[0] && toCustomer(rows[0]);
}

export interface CustomerPageQuery {
  /** All must hold: visibility first, then the caller's filters. */
  where: SqlFilter[];
  sort: { field: string; descending: boolean };
  /** Keyset position: the sort value and id of the last row of the previous page. */
  after: { value: string; id: string } | null;
  limit: number;
}

/** One page of the customers the filters let through, in a stable keyset order. */
export async function listVisibleCustomers(db: Db, page: CustomerPageQuery): Promise<Customer[]> {
  let query = db.selectFrom('customers').selectAll();
  for (const filter of page.where) query = query.where(filter);
  const { field, descending } = page.sort;
  const direction = descending ? 'desc' : 'asc';
  const after = page.after;
  if (after) {
    const op = descending ? '<' : '>';
    query =
      field === 'id'
        ? query.where('id', op, after.id)
        : query.where((eb) => eb(eb.refTuple(field as 'fullName', 'id'), op, eb.tuple(after.value, after.id)));
  }
  query = query.orderBy(field as 'id', direction);
  // id breaks ties; ordering by id twice would only give the planner more to do.
  if (field !== 'id') query = query.orderBy('id', direction);
  const rows = await query.limit(page.limit).execute();
  return rows.map(toCustomer);
}

export async function deleteCustomer(db: Db, id: string): Promise<void> {
  await db.deleteFrom('customers').where('id', '=', id).execute();
}
