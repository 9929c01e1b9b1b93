import type { Db } from './database.js';
import type { CustomerRow } from './customer.table.js';
import type { SqlFilter } from './policy-sql.js';

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
