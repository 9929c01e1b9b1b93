import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import * as service from '../core/document.service.js';
import { recordNode, type Node } from './nodes.js';

type Ctx = MercuriusContext;

/** Document metadata; the bytes are REST only (GET /v1/documents/{id}/content). */
export const documentResolvers: IResolvers = {
  Query: {
    document: async (_root, args: { id: string }, { guard }: Ctx) => recordNode(await service.getDocument(guard, args.id)),
  },
  Mutation: {
    deleteDocument: async (_root, args: { id: string }, { guard }: Ctx) => {
      await service.deleteDocument(guard, args.id);
      return true;
    },
  },
};

/** Every `Customer.documents` of a response in one query and one audit event. */
export const documentLoaders: MercuriusLoaders = {
  Customer: {
    documents: async (queries: Array<{ obj: Node }>, { guard }: Ctx) => {
      const lists = await service.listDocumentsOfCustomers(guard, queries.map((q) => String(q.obj.__key)));
      return lists.map((docs) => docs.map((d) => recordNode(d)));
    },
  },
};
