import type { SqlFilter } from '../data/policy-sql.js';
import { existsVisibleParent, PARENT } from '../data/parent-visibility.js';
import { visibleFilter as customerVisible } from './customer.service.js';
import { visibleFilterFor } from './record-access.js';
import type { RequestContext } from './request-context.js';

/**
 * A booking exists for the caller when the booking rules let it see the booking AND the
 * customer rules let it see the booking's customer: a booking of a confidential customer
 * the caller is not assigned to does not exist for them. Both halves run in SQL.
 * `customerIds`: the bookings asked for belong to these customers (a batch).
 */
export const visibleBookings = (ctx: RequestContext, customerIds?: readonly string[]): SqlFilter[] => [
  visibleFilterFor(ctx, 'Booking'),
  existsVisibleParent('customers', 'bookings.customerId', customerVisible(ctx, PARENT), customerIds),
];
