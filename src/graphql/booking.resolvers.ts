import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import * as writes from '../core/booking-write.service.js';
import * as service from '../core/booking.service.js';
import { readCustomersByIds } from '../core/customer.service.js';
import { bookingNode, pageNode, recordNode, type Node } from './nodes.js';

type Ctx = MercuriusContext;
type BookingArgs = { customerId?: string | null; from?: string | null; to?: string | null; first?: number | null; after?: string | null };
const orUndefined = (v: string | null | undefined) => v ?? undefined;

/** Bookings: queries and mutations over the same core as REST. */
export const bookingResolvers: IResolvers = {
  Query: {
    booking: async (_root, args: { id: string }, { guard }: Ctx) => bookingNode(await service.getBooking(guard, args.id)),
    bookings: async (_root, args: BookingArgs, { guard }: Ctx) => {
      const query = { customerId: orUndefined(args.customerId), from: orUndefined(args.from), to: orUndefined(args.to) };
      return pageNode(await service.listBookings(guard, args.first, args.after, query), bookingNode);
    },
  },
  Mutation: {
    createBooking: async (_root, args: { input: object }, { guard }: Ctx) => bookingNode(await writes.createBooking(guard, { ...args.input })),
    updateBooking: async (_root, args: { id: string; input: object }, { guard }: Ctx) =>
      bookingNode(await writes.updateBooking(guard, args.id, { ...args.input })),
    deleteBooking: async (_root, args: { id: string }, { guard }: Ctx) => {
      await writes.deleteBooking(guard, args.id);
      return true;
    },
  },
};

/**
 * Nested lists, batched per level: every `Customer.bookings` of a response in one query
 * and one audit event, every `Booking.customer` likewise.
 */
export const bookingLoaders: MercuriusLoaders = {
  Customer: {
    bookings: async (queries: Array<{ obj: Node; params: { first?: number | null; after?: string | null } }>, { guard }: Ctx) => {
      const pages = await service.listBookingsOfCustomers(
        guard,
        queries.map((q) => ({ customerId: String(q.obj.__key), first: q.params.first, after: q.params.after })),
      );
      return pages.map((page) => pageNode(page, bookingNode));
    },
  },
  Booking: {
    customer: async (queries: Array<{ obj: Node }>, { guard }: Ctx) => {
      const ids = queries.map((q) => q.obj.__key).filter((k): k is string => typeof k === 'string');
      const customers = await readCustomersByIds(guard, ids);
      return queries.map((q) => {
        const found = typeof q.obj.__key === 'string' ? customers.get(q.obj.__key) : undefined;
        return found ? recordNode(found) : null;
      });
    },
  },
};
