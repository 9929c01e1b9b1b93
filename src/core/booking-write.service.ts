import * as bookings from '../data/booking.repository.js';
import type { Booking } from '../data/booking.repository.js';
import type { Db } from '../data/database.js';
import { notFound } from '../errors.js';
import { assertTimesInOrder, parseBookingInput, type BookingInput } from './booking-input.js';
import { findVisible, renderBooking, type BookingRecord } from './booking.service.js';
import { visibleCustomerOr404 } from './customer.service.js';
import { UUID } from './cursor.js';
import { assertCan, audit, auditingDenials, mergeDecisions } from './guard.js';
import { assertWritable } from './record-access.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Booking';

/** Booking writes: the right first, then validation, then the record-level rules. */
export async function createBooking(ctx: RequestContext, body: unknown): Promise<BookingRecord> {
  return auditingDenials(ctx, { action: 'create', resourceType: TYPE, resourceIds: [] }, async () => {
    assertCan(ctx, 'create', TYPE);
    const input = parseBookingInput(ctx.policy, body, 'create') as Required<Pick<BookingInput, 'customerId' | 'staffSub' | 'service' | 'startsAt' | 'endsAt'>> & BookingInput;
    assertTimesInOrder(input.startsAt, input.endsAt);
    const record = { status: 'booked', notes: null, ...input };
    assertCan(ctx, 'create', TYPE, record);
    assertWritable(ctx, TYPE, 'create', record, input);
    return ctx.db.transaction().execute(async (trx) => {
      // A customer the caller cannot see does not exist for them, so neither can its bookings.
      await visibleCustomerOr404(ctx, trx, input.customerId);
      const created = await bookings.insertBooking(trx, input);
      return commitWrite(ctx, trx, 'create', created, input);
    });
  });
}

export async function updateBooking(ctx: RequestContext, id: string, body: unknown): Promise<BookingRecord> {
  return auditingDenials(ctx, { action: 'update', resourceType: TYPE, resourceIds: [id] }, () =>
    ctx.db.transaction().execute(async (trx) => {
      assertCan(ctx, 'update', TYPE);
      const input = parseBookingInput(ctx.policy, body, 'update');
      const current = await lockVisible(ctx, trx, id);
      assertCan(ctx, 'update', TYPE, current);
      assertWritable(ctx, TYPE, 'update', current, input);
      assertTimesInOrder(input.startsAt ?? current.startsAt, input.endsAt ?? current.endsAt);
      // Moving a booking to another customer needs that customer to exist for the caller too.
      if (input.customerId && input.customerId !== current.customerId) await visibleCustomerOr404(ctx, trx, input.customerId);
      const updated = await bookings.updateBooking(trx, id, input);
      return commitWrite(ctx, trx, 'update', updated, input);
    }),
  );
}

export async function deleteBooking(ctx: RequestContext, id: string): Promise<void> {
  await auditingDenials(ctx, { action: 'delete', resourceType: TYPE, resourceIds: [id] }, () =>
    ctx.db.transaction().execute(async (trx) => {
      assertCan(ctx, 'delete', TYPE);
      const current = await lockVisible(ctx, trx, id);
      assertCan(ctx, 'delete', TYPE, current);
      await bookings.deleteBooking(trx, id);
      await audit(ctx, { action: 'delete', resourceType: TYPE, resourceIds: [id], outcome: 'allowed' }, trx);
    }),
  );
}

async function lockVisible(ctx: RequestContext, trx: Db, id: string): Promise<Booking> {
  const current = UUID.test(id) ? await findVisible({ ...ctx, db: trx }, id, true) : undefined;
  if (!current) throw notFound(TYPE);
  return current;
}

/** The write and its audit row commit together, or neither does. */
async function commitWrite(ctx: RequestContext, trx: Db, action: string, saved: Booking, input: BookingInput): Promise<BookingRecord> {
  const rendered = renderBooking(ctx, saved);
  await audit(ctx, { action, resourceType: TYPE, resourceIds: [saved.id], outcome: 'allowed', fieldsWritten: Object.keys(input), ...mergeDecisions([rendered.access]) }, trx);
  return rendered;
}
