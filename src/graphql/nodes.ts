import type { BookingRecord } from '../core/booking.service.js';
import { accessSummary, type RenderedRecord } from '../policy/field-access.js';

/**
 * GraphQL nodes: a withheld field is absent and so resolves to null; `access` says why.
 * `__key` carries the record's id (or, for a booking, its customer's id) to the loaders
 * of nested fields; it is not in the schema and never sent.
 */
export const recordNode = (record: RenderedRecord, key?: string) => ({
  ...record.values,
  access: accessSummary(record.access),
  __key: key ?? record.values.id,
});

/** The customer is only embedded where the caller reads the booking's customerId in clear. */
export const bookingNode = (record: BookingRecord) =>
  recordNode(record, record.access.clear.includes('customerId') ? record.customerId : undefined);

export const pageNode = <T>(page: { items: T[]; nextCursor: string | null }, node: (item: T) => unknown) => ({
  nodes: page.items.map(node),
  pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
});

export type Node = { __key?: unknown };
