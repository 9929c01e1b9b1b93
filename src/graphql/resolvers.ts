import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { decideAccessRequest, listAccessRequests, REQUEST_STATUSES, requestAccess, revokeAccessRequest, type RequestStatus } from '../core/access-request.service.js';
import { deleteCustomer } from '../core/customer-delete.service.js';
import { AppError } from '../errors.js';
import * as service from '../core/customer.service.js';
import type { RequestContext } from '../core/request-context.js';
import { bookingLoaders, bookingResolvers } from './booking.resolvers.js';
import { documentLoaders, documentResolvers } from './document.resolvers.js';
import { recordNode as customerNode } from './nodes.js';

declare module 'mercurius' {
  interface MercuriusContext {
    guard: RequestContext;
  }
}
type GraphQLContext = MercuriusContext;

/** Resolvers only translate arguments and shapes; the core decides and audits. */
const customerResolvers: IResolvers = {
  Query: {
    customer: async (_root, args: { id: string }, { guard }: GraphQLContext) =>
      customerNode(await service.getCustomer(guard, args.id)),
    customers: async (
      _root,
      args: { first?: number | null; after?: string | null; filter?: Array<{ field: string; equals: string }> | null; sort?: string | null },
      { guard }: GraphQLContext,
    ) => {
      const filter = Object.fromEntries((args.filter ?? []).map((f) => [f.field, f.equals]));
      const page = await service.listCustomers(guard, args.first, args.after, { filter, ...(args.sort ? { sort: args.sort } : {}) });
      return {
        nodes: page.items.map((c) => customerNode(c)),
        pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
      };
    },
  },
  Mutation: {
    createCustomer: async (_root, args: { input: object }, { guard }: GraphQLContext) =>
      customerNode(await service.createCustomer(guard, { ...args.input })),
    updateCustomer: async (_root, args: { id: string; input: object }, { guard }: GraphQLContext) =>
      customerNode(await service.updateCustomer(guard, args.id, { ...args.input })),
    deleteCustomer: async (_root, args: { id: string }, { guard }: GraphQLContext) => {
      await deleteCustomer(guard, args.id);
      return true;
    },
  },
};

/** Asking to see more: the same core as REST (core/access-request.service.ts). */
const accessRequestResolvers: IResolvers = {
  Query: {
    accessRequests: async (_root, args: { status?: string | null }, { guard }: GraphQLContext) => {
      if (args.status && !(REQUEST_STATUSES as readonly string[]).includes(args.status)) {
        throw new AppError('VALIDATION_FAILED', `status: one of ${REQUEST_STATUSES.join(', ')}`);
      }
      return listAccessRequests(guard, (args.status ?? undefined) as RequestStatus | undefined);
    },
  },
  Mutation: {
    requestAccess: async (_root, args: { input: object }, { guard }: GraphQLContext) => requestAccess(guard, { ...args.input }),
    approveAccessRequest: async (_root, args: { id: string; note?: string | null }, { guard }: GraphQLContext) =>
      decideAccessRequest(guard, args.id, 'approve', args.note == null ? {} : { note: args.note }),
    denyAccessRequest: async (_root, args: { id: string; note?: string | null }, { guard }: GraphQLContext) =>
      decideAccessRequest(guard, args.id, 'deny', args.note == null ? {} : { note: args.note }),
    revokeAccessRequest: async (_root, args: { id: string; note?: string | null }, { guard }: GraphQLContext) =>
      revokeAccessRequest(guard, args.id, args.note == null ? {} : { note: args.note }),
  },
};

/**
 * The hand-written doors the model keeps (model/own-doors.ts): customers, and bookings and
 * documents nested under them. A door the model does not keep has no field in the served
 * schema (schema-sdl.ts), so it has no resolver either.
 */
export function builtInResolvers(own: ReadonlySet<string>): { resolvers: IResolvers; loaders: MercuriusLoaders } {
  const parts = [
    own.has('AccessRequest') ? accessRequestResolvers : {},
    own.has('Customer') ? customerResolvers : {},
    own.has('Booking') ? bookingResolvers : {},
    own.has('Document') ? documentResolvers : {},
  ];
  const booking = own.has('Booking');
  const document = own.has('Document');
  return {
    resolvers: {
      Query: Object.assign({}, ...parts.map((p) => p.Query ?? {})),
      Mutation: Object.assign({}, ...parts.map((p) => p.Mutation ?? {})),
    },
    loaders: {
      ...(own.has('Customer') ? { Customer: { ...(booking ? bookingLoaders.Customer : {}), ...(document ? documentLoaders.Customer : {}) } } : {}),
      ...(booking ? { Booking: { ...bookingLoaders.Booking } } : {}),
    },
  };
}
