import type { Db } from '../data/database.js';
import { findVisibleRecord, type RecordValues } from '../data/record.repository.js';
import { notFound } from '../errors.js';
import type { RenderedRecord } from '../policy/field-access.js';
import type { RecordQuery } from './record-query.js';
import { createRecord, getRecord, listRecords, modelOf, readRecordsByIds, updateRecord, visibleWhere, type RecordPage } from './record.service.js';
import { visibleFilterFor } from './record-access.js';
import type { RequestContext } from './request-context.js';

/**
 * Customers are records of the model like any other: reads, lists and writes run on the
 * generic record service, so a field added to Customer in the policy is served and
 * written with no code here. What stays is what only customers have: the cascade of a
 * delete (customer-delete.service) and the parent check bookings and documents make.
 */
const TYPE = 'Customer';

/** The SQL form of "customers this caller may see" (camelCase names, for the customer-aware queries). */
export const visibleFilter = (ctx: RequestContext, table?: string) => visibleFilterFor(ctx, TYPE, table);

export type CustomerPage = RecordPage;
export type ListQuery = RecordQuery;

/** One customer, or 404 whether it does not exist or the caller may not see it. */
export const getCustomer = (ctx: RequestContext, id: string): Promise<RenderedRecord> => getRecord(ctx, TYPE, id);

/** A page of the customers the caller may see, in a stable order. */
export const listCustomers = (ctx: RequestContext, limit?: number | null, cursor?: string | null, query: ListQuery = {}): Promise<CustomerPage> =>
  listRecords(ctx, TYPE, limit, cursor, query);

export const createCustomer = (ctx: RequestContext, body: unknown): Promise<RenderedRecord> => createRecord(ctx, TYPE, body);

/** Updates a customer; its answer counts against the read budget, checked before anything is written. */
export const updateCustomer = (ctx: RequestContext, id: string, body: unknown): Promise<RenderedRecord> => updateRecord(ctx, TYPE, id, body);

/** Customers embedded in another resource (a booking's customer), batched, counted and audited as one read. */
export const readCustomersByIds = (ctx: RequestContext, ids: string[]): Promise<Map<string, RenderedRecord>> => readRecordsByIds(ctx, TYPE, ids);

/**
 * The customer with this id as stored (its id lower-cased), or 404 when it does not exist
 * for the caller: a booking's, a document's or a delete's parent check. `forUpdate` locks
 * it for the caller's transaction.
 */
export async function visibleCustomerOr404(ctx: RequestContext, db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<RecordValues & { id: string }> {
  const r = modelOf(ctx, TYPE);
  const found = await findVisibleRecord(db, r, id, visibleWhere(ctx, r), options);
  if (!found) throw notFound(TYPE);
  return found as RecordValues & { id: string };
}
