import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import * as service from '../core/document.service.js';
import { pageNode, recordNode, type Node } from './nodes.js';

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

type PageParams = { first?: number | null; after?: string | null };

/**
 * Every `Customer.documentPage` of a response in one query and one audit event, and
 * likewise every `Customer.documents`: the list type older clients use, which cannot
 * carry a cursor, so it answers the first DOCUMENT_LIST_CAP documents.
 */
export const documentLoaders: MercuriusLoaders = {
  Customer: {
    documentPage: async (queries: Array<{ obj: Node; params: PageParams }>, { guard }: Ctx) => {
      const pages = await service.listDocumentsOfCustomers(
        guard,
        queries.map((q) => ({ customerId: String(q.obj.__key), first: q.params.first, after: q.params.after })),
      );
      return pages.map((page) => pageNode(page, (d) => recordNode(d)));
    },
    documents: async (queries: Array<{ obj: Node }>, { guard }: Ctx) => {
      const pages = await service.listDocumentsOfCustomers(guard, queries.map((q) => ({ customerId: String(q.obj.__key), first: service.DOCUMENT_LIST_CAP })));
      return pages.map((page) => page.items.map((d) => recordNode(d)));
    },
  },
};
