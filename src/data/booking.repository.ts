import type { Db } from './database.js';
import type { BookingRow, BookingStatus, BookingUpdate, NewBookingRow } from './booking.table.js';
import type { SqlFilter } from './policy-sql.js';

/** A booking as the core sees it: plain JSON values, timestamps as ISO strings. */
export interface Booking {
  id: string;
  customerId: string;
  staffSub: string;
  service: string;
  startsAt: string;
  endsAt: string;
  status: BookingStatus;
  notes: string | null;
  createdAt: string;
  updatedAt: string;
}

const toBooking = (row: BookingRow): Booking => ({
  id: row.id,
  customerId: row.customerId,
  staffSub: row.staffSub,
  service: row.service,
  startsAt: row.startsAt.toISOString(),
  endsAt: row.endsAt.toISOString(),
  status: row.status,
  notes: row.notes,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** Keyset position: the startsAt and id of the last row of the previous page. */
export type BookingPosition = { value: string; id: string } | null;

export async function findVisibleBooking(db: Db, id: string, visible: SqlFilter, options: { forUpdate?: boolean } = {}): Promise<Booking | undefined> {
  let query = db.selectFrom('bookings').selectAll('bookings').where('bookings.id', '=', id).where(visible);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toBooking(row);
}

/** One page of the bookings the filters let through, in (startsAt, id) order. */
export async function listVisibleBookings(db: Db, page: { where: SqlFilter[]; after: BookingPosition; limit: number }): Promise<Booking[]> {
  let query = db.selectFrom('bookings').selectAll('bookings');
  for (const filter of page.where) query = query.where(filter);
  const after = page.after;
  if (after) query = query.where((eb) => eb(eb.refTuple('bookings.startsAt', 'bookings.id'), '>', eb.tuple(new Date(after.value), after.id)));
  const rows = await query.orderBy('bookings.startsAt').orderBy('bookings.id').limit(page.limit).execute();
  return rows.map(toBooking);
}

/**
 * The first `limit` bookings of each customer (after its own keyset position), for many
 * customers in one statement: GraphQL's nested lists cost one query per level, not one
 * per parent.
 */
export async function listBookingsOfCustomers(
  db: Db,
  q: { where: SqlFilter[]; customers: Array<{ customerId: string; after: BookingPosition }>; limit: number },
): Promise<Booking[]> {
  const fresh = q.customers.filter((c) => !c.after).map((c) => c.customerId);
  const resumed = q.customers.filter((c) => c.after);
  let ranked = db
    .selectFrom('bookings')
    .selectAll('bookings')
    .select((eb) => eb.fn.agg<number>('row_number').over((o) => o.partitionBy('bookings.customerId').orderBy('bookings.startsAt').orderBy('bookings.id')).as('position'));
  for (const filter of q.where) ranked = ranked.where(filter);
  ranked = ranked.where((eb) =>
    eb.or([
      ...(fresh.length > 0 ? [eb('bookings.customerId', '=', eb.fn.any(eb.val(fresh)))] : []),
      ...resumed.map((c) =>
        eb.and([eb('bookings.customerId', '=', c.customerId), eb(eb.refTuple('bookings.startsAt', 'bookings.id'), '>', eb.tuple(new Date(c.after!.value), c.after!.id))]),
      ),
    ]),
  );
  const rows = await db
    .selectFrom(ranked.as('b'))
    .selectAll()
    .where('b.position', '<=', q.limit)
    .orderBy('b.customerId')
    .orderBy('b.startsAt')
    .orderBy('b.id')
    .execute();
  return rows.map(toBooking);
}

/** Every booking of a customer, locked until the transaction ends (a cascade is about to take them). */
export async function lockBookingsOfCustomer(db: Db, customerId: string): Promise<Booking[]> {
  const rows = await db.selectFrom('bookings').selectAll().where('customerId', '=', customerId).orderBy('startsAt').orderBy('id').forUpdate().execute();
  return rows.map(toBooking);
}

export async function insertBooking(db: Db, values: NewBookingRow): Promise<Booking> {
  return toBooking(await db.insertInto('bookings').values(values).returningAll().executeTakeFirstOrThrow());
}

export async function updateBooking(db: Db, id: string, values: BookingUpdate): Promise<Booking> {
  const row = await db.updateTable('bookings').set({ ...values, updatedAt: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  return toBooking(row);
}

export async function deleteBooking(db: Db, id: string): Promise<void> {
  await db.deleteFrom('bookings').where('id', '=', id).execute();
}
