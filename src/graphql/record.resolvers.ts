import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { listChildrenOf } from '../core/record-children.service.js';
import * as service from '../core/record.service.js';
import type { ResourceModel } from '../model/model.js';
import { accessSummary, type RenderedRecord } from '../policy/field-access.js';
import { masksAsNull, type GeneratedDoor } from './generated-schema.js';
import { pageNode, recordNode } from './nodes.js';

type Ctx = MercuriusContext;
type PageParams = { first?: number | null; after?: string | null };
type ListArgs = PageParams & { filter?: Array<{ field: string; equals: string }> | null; sort?: string | null };

/**
 * A generated record as a GraphQL node. A withheld field is absent (null); a masked
 * integer or boolean is null too, as its mask is text (`access.masked` names it).
 * `__key` is the record's id where the caller reads it in clear (nested lists hang on it)
 * and `__refs` each ref the caller reads in clear (only those are followed: embedding
 * the record would reveal the ref). Neither is in the schema or sent.
 */
export interface GeneratedNode {
  __key?: string;
  __refs: Record<string, string>;
}

export function generatedNode(r: ResourceModel, record: RenderedRecord): Record<string, unknown> & GeneratedNode {
  const values: Record<string, unknown> = { ...record.values };
  const clear = new Set(record.access.clear);
  const refs: Record<string, string> = {};
  for (const f of r.fields) {
    const value = values[f.name];
    if (masksAsNull(f) && value !== undefined && typeof value !== (f.type === 'integer' ? 'number' : 'boolean')) values[f.name] = null;
    if (f.type === 'ref' && clear.has(f.name) && typeof value === 'string') refs[f.name] = value;
  }
  const id = values[r.id.name];
  return { ...values, access: accessSummary(record.access), __key: clear.has(r.id.name) && typeof id === 'string' ? id : undefined, __refs: refs };
}

/**
 * Resolvers and loaders of the generated doors: arguments in, nodes out; the core
 * (record.service.ts, record-children.service.ts) decides, renders and audits, as for REST.
 * `nodeOf` turns a record of any type a ref may name into its node (generated or built in).
 */
export function generatedResolvers(
  doors: readonly GeneratedDoor[],
  nodeOf: (type: string, record: RenderedRecord) => unknown,
): { resolvers: IResolvers; loaders: MercuriusLoaders } {
  const Query: Record<string, unknown> = {};
  const Mutation: Record<string, unknown> = {};
  const loaders: MercuriusLoaders = {};
  for (const d of doors) {
    const type = d.resource.name;
    const node = (record: RenderedRecord) => generatedNode(d.resource, record);
    Query[d.single] = async (_root: unknown, args: { id: string }, { guard }: Ctx) => node(await service.getRecord(guard, type, args.id));
    Query[d.list] = async (_root: unknown, args: ListArgs, { guard }: Ctx) => {
      const filter = Object.fromEntries((args.filter ?? []).map((f) => [f.field, f.equals]));
      return pageNode(await service.listRecords(guard, type, args.first, args.after, { filter, ...(args.sort ? { sort: args.sort } : {}) }), node);
    };
    Mutation[d.create] = async (_root: unknown, args: { input?: object }, { guard }: Ctx) => node(await service.createRecord(guard, type, { ...args.input }));
    if (d.writable.length > 0) {
      Mutation[d.update] = async (_root: unknown, args: { id: string; input: object }, { guard }: Ctx) =>
        node(await service.updateRecord(guard, type, args.id, { ...args.input }));
    }
    Mutation[d.delete] = async (_root: unknown, args: { id: string }, { guard }: Ctx) => {
      await service.deleteRecord(guard, type, args.id);
      return true;
    };

    const fields: Record<string, (queries: Array<{ obj: GeneratedNode; params: PageParams }>, ctx: Ctx) => Promise<unknown[]>> = {};
    for (const ref of d.refs) {
      const target = ref.field.ref!;
      // Every `Consultation.patient` of a response in one statement and one audit event.
      fields[ref.name] = async (queries, { guard }) => {
        const idOf = (q: { obj: GeneratedNode }) => q.obj.__refs[ref.field.name];
        const ids = queries.map(idOf).filter((id): id is string => id !== undefined);
        const found = ids.length > 0 ? await service.readRecordsByIds(guard, target, ids) : new Map<string, RenderedRecord>();
        return queries.map((q) => {
          const record = found.get(idOf(q) ?? '');
          return record ? nodeOf(target, record) : null;
        });
      };
    }
    for (const c of d.children) {
      // Every `Patient.consultations` of a response in one statement and one audit event.
      fields[c.name] = async (queries, { guard }) => {
        const keyed = queries.filter((q) => q.obj.__key !== undefined);
        const pages = keyed.length > 0
          ? await listChildrenOf(guard, c.child.name, keyed.map((q) => ({ parentId: q.obj.__key!, first: q.params.first, after: q.params.after })))
          : [];
        const byQuery = new Map(keyed.map((q, i) => [q, pages[i]!]));
        return queries.map((q) => {
          const page = byQuery.get(q);
          return page ? pageNode(page, (record) => nodeOf(c.child.name, record)) : null;
        });
      };
    }
    if (Object.keys(fields).length > 0) loaders[type] = fields as MercuriusLoaders[string];
  }
  return { resolvers: { Query, Mutation } as IResolvers, loaders };
}

/**
 * The node of a record of any stored type, for a ref to embed: a generated type's node,
 * or the hand-written door's (a booking carries its customer's id for `Booking.customer`
 * only where the caller reads it in clear, as bookingNode does).
 */
export function nodeOfAny(doors: readonly GeneratedDoor[]): (type: string, record: RenderedRecord) => unknown {
  const generated = new Map(doors.map((d) => [d.resource.name, d.resource]));
  return (type, record) => {
    const r = generated.get(type);
    if (r) return generatedNode(r, record);
    if (type === 'Booking') {
      const customerId = record.values.customerId;
      return recordNode(record, record.access.clear.includes('customerId') && typeof customerId === 'string' ? customerId : undefined);
    }
    return recordNode(record);
  };
}
