import * as bookings from '../data/booking.repository.js';
import type { Booking } from '../data/booking.repository.js';
import type { SqlFilter } from '../data/policy-sql.js';
import { AppError, notFound } from '../errors.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { visibleBookings } from './booking-visibility.js';
import { pageLimit, UUID } from './cursor.js';
import { assertCan, audit, auditingDenials, mergeDecisions } from './guard.js';
import { clearFilterFor, renderAs } from './record-access.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Booking';
/** Every booking list runs in (startsAt, id) order: one cursor family. */
const LIST = 'bookings:startsAt:asc';

/** A rendered booking, plus the id of its customer for embedding (never sent by itself). */
export interface BookingRecord extends RenderedRecord {
  customerId: string;
}

export interface BookingPage {
  items: BookingRecord[];
  nextCursor: string | null;
}

export const renderBooking = (ctx: RequestContext, b: Booking): BookingRecord => ({ ...renderAs(ctx, TYPE, b), customerId: b.customerId });

/** One booking, or 404 whether it does not exist or the caller may not see it or its customer. */
export async function getBooking(ctx: RequestContext, id: string): Promise<BookingRecord> {
  return auditingDenials(ctx, { action: 'read', resourceType: TYPE, resourceIds: [id] }, async () => {
    const found = UUID.test(id) ? await findVisible(ctx, id) : undefined;
    if (!found) throw notFound(TYPE);
    const rendered = renderBooking(ctx, found);
    await audit(ctx, { action: 'read', resourceType: TYPE, resourceIds: [id], outcome: 'allowed', ...mergeDecisions([rendered.access]) });
    return rendered;
  });
}

export const findVisible = (ctx: RequestContext, id: string, forUpdate = false) =>
  bookings.findVisibleBooking(ctx.db, id, (eb) => eb.and(visibleBookings(ctx).map((f) => f(eb))), { forUpdate });

export interface BookingListQuery {
  customerId?: string | undefined;
  /** Inclusive lower and exclusive upper bound on startsAt (RFC 3339). */
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * A page of the bookings the caller may see, by startsAt then id. Filters apply only
 * where the caller reads the filtered field in clear, as for customers.
 */
export async function listBookings(ctx: RequestContext, limit?: number | null, cursor?: string | null, query: BookingListQuery = {}): Promise<BookingPage> {
  return auditingDenials(ctx, { action: 'list', resourceType: TYPE, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', TYPE);
    const size = pageLimit(limit);
    const after = await ctx.cursors.decode(LIST, cursor);
    const where: SqlFilter[] = [...visibleBookings(ctx), ...filtersFor(ctx, query)];
    const rows = await bookings.listVisibleBookings(ctx.db, { where, after, limit: size + 1 });
    const page = rows.slice(0, size);
    const items = page.map((b) => renderBooking(ctx, b));
    await audit(ctx, { action: 'list', resourceType: TYPE, resourceIds: page.map((b) => b.id), outcome: 'allowed', ...mergeDecisions(items.map((i) => i.access)) });
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > size && last ? await ctx.cursors.encode(LIST, last.startsAt, last.id) : null };
  });
}

function filtersFor(ctx: RequestContext, query: BookingListQuery): SqlFilter[] {
  const where: SqlFilter[] = [];
  if (query.customerId !== undefined) {
    // A malformed id matches nothing, like an id the caller may not see.
    if (!UUID.test(query.customerId)) throw new AppError('VALIDATION_FAILED', 'customerId must be a UUID.');
    const customerId = query.customerId;
    where.push(clearFilterFor(ctx, TYPE, 'customerId'), (eb) => eb('bookings.customerId', '=', customerId));
  }
  const bound = (value: string | undefined, name: string) => {
    if (value === undefined) return null;
    const at = Date.parse(value);
    if (Number.isNaN(at) || !/(Z|[+-][0-9]{2}:[0-9]{2})$/i.test(value)) throw new AppError('VALIDATION_FAILED', `${name} must be an RFC 3339 time with a zone.`);
    return new Date(at);
  };
  const from = bound(query.from, 'from');
  const to = bound(query.to, 'to');
  if (from || to) where.push(clearFilterFor(ctx, TYPE, 'startsAt'));
  if (from) where.push((eb) => eb('bookings.startsAt', '>=', from));
  if (to) where.push((eb) => eb('bookings.startsAt', '<', to));
  return where;
}

/**
 * `Customer.bookings(first, after)` for every customer of a GraphQL response at once:
 * one statement and one audit event for the whole level.
 */
export async function listBookingsOfCustomers(
  ctx: RequestContext,
  queries: Array<{ customerId: string; first?: number | null; after?: string | null }>,
): Promise<BookingPage[]> {
  return auditingDenials(ctx, { action: 'list', resourceType: TYPE, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', TYPE);
    const wanted = await Promise.all(queries.map(async (q) => ({ customerId: q.customerId, size: pageLimit(q.first), after: await ctx.cursors.decode(LIST, q.after) })));
    const limit = Math.max(...wanted.map((w) => w.size)) + 1;
    const customerIds = [...new Set(wanted.map((w) => w.customerId))];
    const rows = await bookings.listBookingsOfCustomers(ctx.db, { where: visibleBookings(ctx, customerIds), customers: wanted, limit });
    const byCustomer = new Map<string, Booking[]>();
    for (const b of rows) {
      const list = byCustomer.get(b.customerId);
      if (list) list.push(b);
      else byCustomer.set(b.customerId, [b]);
    }
    const pages = await Promise.all(wanted.map(async (w) => {
      const mine = (byCustomer.get(w.customerId) ?? []).filter((b) => !w.after || b.startsAt > w.after.value || (b.startsAt === w.after.value && b.id > w.after.id));
      const page = mine.slice(0, w.size);
      const last = page[page.length - 1];
      return { rows: page, nextCursor: mine.length > w.size && last ? await ctx.cursors.encode(LIST, last.startsAt, last.id) : null };
    }));
    const shown = [...new Map(pages.flatMap((p) => p.rows).map((b) => [b.id, b])).values()];
    const rendered = new Map(shown.map((b) => [b.id, renderBooking(ctx, b)]));
    if (shown.length > 0) {
      await audit(ctx, { action: 'list', resourceType: TYPE, resourceIds: shown.map((b) => b.id), outcome: 'allowed', ...mergeDecisions([...rendered.values()].map((r) => r.access)) });
    }
    return pages.map((p) => ({ items: p.rows.map((b) => rendered.get(b.id)!), nextCursor: p.nextCursor }));
  });
}
