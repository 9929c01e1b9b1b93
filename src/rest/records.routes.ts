import type { FastifyInstance } from 'fastify';
import { exportRecords } from '../core/record-export.service.js';
import * as service from '../core/record.service.js';
import type { RequestContext } from '../core/request-context.js';
import type { ResourceModel } from '../model/model.js';
import { downloadRecordFile, uploadRecordFile } from '../core/record-file.service.js';
import { sendExport } from './export-stream.js';
import { acceptRawBodies, incomingFile, sendFile } from './file-transfer.js';
import { JSON_TYPE, recordJson, recordJsonText, recordPageText } from './record-json.js';

/** The route schemas, exported for the OpenAPI document (openapi-model), which states them. */
export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 128 } },
  required: ['id'],
} as const;

export const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    cursor: { type: 'string', maxLength: 1500 },
    sort: { type: 'string', pattern: '^-?[A-Za-z][A-Za-z0-9]{0,62}$' },
  },
  // filter[field]=value: exact match on a field the caller reads in clear.
  patternProperties: { '^filter\\[[A-Za-z][A-Za-z0-9]{0,62}\\]$': { type: 'string', maxLength: 200 } },
  additionalProperties: false,
} as const;

type PageQuery = { limit?: number; cursor?: string; sort?: string } & Record<string, string | number | undefined>;

/** `filter[email]=x` query parameters as `{ email: 'x' }`. */
export const filtersOf = (query: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(query)
      .map(([key, value]) => [/^filter\[([A-Za-z][A-Za-z0-9]*)\]$/.exec(key)?.[1], value] as const)
      .filter((entry): entry is readonly [string, string] => entry[0] !== undefined && typeof entry[1] === 'string'),
  );

export const exportQuery = {
  type: 'object',
  properties: { format: { type: 'string', enum: ['csv', 'ndjson'], default: 'csv' } },
  additionalProperties: false,
} as const;

const jsonBody = { type: 'object' } as const;

type IdParams = { id: string };

/**
 * The REST door of a stored resource of the model, generated from it: list, export,
 * read, create, update and delete under `/v1/<plural>`. Parse, call the core, shape the
 * JSON; the core decides and audits.
 */
export interface RecordRouteOptions {
  resource: ResourceModel;
  /** The largest upload into a `file` field (DOCUMENT_MAX_BYTES). */
  maxFileBytes: number;
  /** A delete of the resource's own (customers take their bookings and documents with them). */
  remove?: (ctx: RequestContext, id: string) => Promise<void>;
}

export async function recordRoutes(app: FastifyInstance, { resource, maxFileBytes, remove = (ctx, id) => service.deleteRecord(ctx, resource.name, id) }: RecordRouteOptions) {
  const base = `/v1/${resource.plural}`;
  const type = resource.name;

  // Reads answer with their JSON text (record-json.ts): the bytes JSON.stringify makes of
  // the same objects, without copying every record into its REST shape first.
  app.get<{ Querystring: PageQuery }>(base, { schema: { querystring: pageQuery } }, async (request, reply) => {
    const { limit, cursor, sort } = request.query;
    const page = await service.listRecords(request.guardContext('rest'), type, limit, cursor, { filter: filtersOf(request.query), ...(sort ? { sort } : {}) });
    return reply.type(JSON_TYPE).send(recordPageText(page));
  });

  app.get<{ Querystring: { format: 'csv' | 'ndjson' } }>(`${base}/export`, { schema: { querystring: exportQuery } }, async (request, reply) => {
    const result = await exportRecords(request.guardContext('rest'), type, request.query.format);
    return sendExport(reply, request.query.format, result);
  });

  app.get<{ Params: IdParams }>(`${base}/:id`, { schema: { params: idParams } }, async (request, reply) =>
    reply.type(JSON_TYPE).send(recordJsonText(await service.getRecord(request.guardContext('rest'), type, request.params.id))),
  );

  app.post(base, { schema: { body: jsonBody } }, async (request, reply) => {
    const created = await service.createRecord(request.guardContext('rest'), type, request.body);
    const id = created.values[resource.id.name];
    if (typeof id === 'string') reply.header('location', `${base}/${encodeURIComponent(id)}`);
    return reply.code(201).send(recordJson(created));
  });

  app.patch<{ Params: IdParams }>(`${base}/:id`, { schema: { params: idParams, body: jsonBody } }, async (request) =>
    recordJson(await service.updateRecord(request.guardContext('rest'), type, request.params.id, request.body)),
  );

  app.delete<{ Params: IdParams }>(`${base}/:id`, { schema: { params: idParams } }, async (request, reply) => {
    await remove(request.guardContext('rest'), request.params.id);
    return reply.code(204).send();
  });

  if (!resource.file) return;
  // The record's file: GET opens it, PUT stores the request's raw body as it (any media type).
  const field = resource.file.field.name;
  const filePath = `${base}/:id/${field}`;
  app.get<{ Params: IdParams }>(filePath, { schema: { params: idParams } }, async (request, reply) =>
    sendFile(reply, await downloadRecordFile(request.guardContext('rest'), type, request.params.id, field)),
  );
  await app.register(async (uploads) => {
    acceptRawBodies(uploads);
    uploads.put<{ Params: IdParams }>(filePath, { schema: { params: idParams } }, async (request) => {
      const stored = await uploadRecordFile(request.guardContext('rest'), type, request.params.id, field, { ...incomingFile(request), maxBytes: maxFileBytes });
      return { mediaType: stored.mediaType, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
    });
  });
}
