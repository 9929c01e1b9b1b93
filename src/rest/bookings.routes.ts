import type { FastifyInstance } from 'fastify';
import * as writes from '../core/booking-write.service.js';
import * as service from '../core/booking.service.js';
import type { BookingRecord } from '../core/booking.service.js';
import { readCustomersByIds } from '../core/customer.service.js';
import type { RequestContext } from '../core/request-context.js';
import { AppError } from '../errors.js';
import { recordJson } from './record-json.js';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;
const listQuery = {
  type: 'object',
  properties: {
    customerId: { type: 'string', maxLength: 64 },
    from: { type: 'string', maxLength: 40 },
    to: { type: 'string', maxLength: 40 },
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    cursor: { type: 'string', maxLength: 600 },
  },
  additionalProperties: false,
} as const;
const jsonBody = { type: 'object' } as const;

type IdParams = { id: string };
type ListQuery = { customerId?: string; from?: string; to?: string; limit?: number; cursor?: string };

/**
 * The REST shape of bookings: `_access` as for customers, and `customer` embedded and
 * rendered with the caller's own customer rules, only where the caller reads the
 * booking's customerId in clear (embedding would reveal it otherwise).
 */
async function bookingsJson(ctx: RequestContext, records: BookingRecord[]) {
  const embed = records.filter((r) => r.access.clear.includes('customerId')).map((r) => r.customerId);
  const customers = await readCustomersByIds(ctx, embed);
  return records.map((r) => {
    const customer = r.access.clear.includes('customerId') ? customers.get(r.customerId) : undefined;
    return { ...r.values, ...(customer ? { customer: recordJson(customer) } : {}), _access: { masked: r.access.masked, withheld: r.access.withheld } };
  });
}
const oneJson = async (ctx: RequestContext, record: BookingRecord) => (await bookingsJson(ctx, [record]))[0];

/**
 * A write's answer. The write has committed by now, so a read budget that refuses the
 * embedded customer must not turn it into a 429 (a client would retry and book twice):
 * the booking is answered without its customer, named withheld, as GraphQL answers
 * `customer: null` with the BUDGET_EXCEEDED error.
 */
async function writtenJson(ctx: RequestContext, record: BookingRecord) {
  try {
    return await oneJson(ctx, record);
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'BUDGET_EXCEEDED') throw err;
    return { ...record.values, _access: { masked: record.access.masked, withheld: [...record.access.withheld, 'customer'] } };
  }
}

/** Booking routes: parse the request, call the core, shape the JSON. */
export async function bookingRoutes(app: FastifyInstance) {
  app.get<{ Querystring: ListQuery }>('/v1/bookings', { schema: { querystring: listQuery } }, async (request) => {
    const { limit, cursor, customerId, from, to } = request.query;
    const ctx = request.guardContext('rest');
    const page = await service.listBookings(ctx, limit, cursor, { customerId, from, to });
    return { items: await bookingsJson(ctx, page.items), nextCursor: page.nextCursor };
  });

  app.get<{ Params: IdParams }>('/v1/bookings/:id', { schema: { params: idParams } }, async (request) => {
    const ctx = request.guardContext('rest');
    return oneJson(ctx, await service.getBooking(ctx, request.params.id));
  });

  app.post('/v1/bookings', { schema: { body: jsonBody } }, async (request, reply) => {
    const ctx = request.guardContext('rest');
    const created = await writes.createBooking(ctx, request.body);
    if (typeof created.values.id === 'string') reply.header('location', `/v1/bookings/${created.values.id}`);
    return reply.code(201).send(await writtenJson(ctx, created));
  });

  app.patch<{ Params: IdParams }>('/v1/bookings/:id', { schema: { params: idParams, body: jsonBody } }, async (request) => {
    const ctx = request.guardContext('rest');
    return writtenJson(ctx, await writes.updateBooking(ctx, request.params.id, request.body));
  });

  app.delete<{ Params: IdParams }>('/v1/bookings/:id', { schema: { params: idParams } }, async (request, reply) => {
    await writes.deleteBooking(request.guardContext('rest'), request.params.id);
    return reply.code(204).send();
  });
}
