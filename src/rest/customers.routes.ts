import type { FastifyInstance } from 'fastify';
import { exportRecords } from '../core/record-export.service.js';
import { deleteCustomer } from '../core/customer-delete.service.js';
import * as service from '../core/customer.service.js';
import { recordJson } from './record-json.js';
import { sendExport } from './export-stream.js';

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
} as const;

const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    cursor: { type: 'string', maxLength: 1500 },
    sort: { type: 'string', pattern: '^-?[A-Za-z]{1,40}$' },
  },
  // filter[field]=value: exact match on a field the caller reads in clear.
  patternProperties: { '^filter\\[[A-Za-z]{1,40}\\]$': { type: 'string', maxLength: 200 } },
  additionalProperties: false,
} as const;

type PageQuery = { limit?: number; cursor?: string; sort?: string } & Record<string, string | number | undefined>;

/** `filter[email]=x` query parameters as `{ email: 'x' }`. */
const filtersOf = (query: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(query)
      .map(([key, value]) => [/^filter\[([A-Za-z]+)\]$/.exec(key)?.[1], value] as const)
      .filter((entry): entry is readonly [string, string] => entry[0] !== undefined && typeof entry[1] === 'string'),
  );

const exportQuery = {
  type: 'object',
  properties: { format: { type: 'string', enum: ['csv', 'ndjson'], default: 'csv' } },
  additionalProperties: false,
} as const;

const jsonBody = { type: 'object' } as const;

type IdParams = { id: string };

/** Customer routes: parse the request, call the core, shape the JSON. Nothing else. */
export async function customerRoutes(app: FastifyInstance) {
  app.get<{ Querystring: PageQuery }>('/v1/customers', { schema: { querystring: pageQuery } }, async (request) => {
    const { limit, cursor, sort } = request.query;
    const page = await service.listCustomers(request.guardContext('rest'), limit, cursor, { filter: filtersOf(request.query), ...(sort ? { sort } : {}) });
    return { items: page.items.map(recordJson), nextCursor: page.nextCursor };
  });

  app.get<{ Querystring: { format: 'csv' | 'ndjson' } }>('/v1/customers/export', { schema: { querystring: exportQuery } }, async (request, reply) => {
    const result = await exportRecords(request.guardContext('rest'), 'Customer', request.query.format);
    return sendExport(reply, request.query.format, result);
  });

  app.get<{ Params: IdParams }>('/v1/customers/:id', { schema: { params: idParams } }, async (request) =>
    recordJson(await service.getCustomer(request.guardContext('rest'), request.params.id)),
  );

  app.post('/v1/customers', { schema: { body: jsonBody } }, async (request, reply) => {
    const created = await service.createCustomer(request.guardContext('rest'), request.body);
    if (typeof created.values.id === 'string') reply.header('location', `/v1/customers/${created.values.id}`);
    return reply.code(201).send(recordJson(created));
  });

  app.patch<{ Params: IdParams }>('/v1/customers/:id', { schema: { params: idParams, body: jsonBody } }, async (request) =>
    recordJson(await service.updateCustomer(request.guardContext('rest'), request.params.id, request.body)),
  );

  app.delete<{ Params: IdParams }>('/v1/customers/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteCustomer(request.guardContext('rest'), request.params.id);
    return reply.code(204).send();
  });
}
