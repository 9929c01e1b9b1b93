import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { deleteCustomer } from '../core/customer-delete.service.js';
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

export const resolvers: IResolvers = {
  Query: Object.assign({}, customerResolvers.Query, bookingResolvers.Query, documentResolvers.Query),
  Mutation: Object.assign({}, customerResolvers.Mutation, bookingResolvers.Mutation, documentResolvers.Mutation),
};

export const loaders: MercuriusLoaders = {
  Customer: { ...bookingLoaders.Customer, ...documentLoaders.Customer },
  Booking: { ...bookingLoaders.Booking },
};
