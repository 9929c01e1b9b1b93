import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { downloadDocument, uploadDocument } from '../core/document-transfer.service.js';
import * as service from '../core/document.service.js';
import { AppError } from '../errors.js';
import { recordJson as recordJson } from './record-json.js';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;
type IdParams = { id: string };
const pageQuery = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 100 }, cursor: { type: 'string', maxLength: 600 } },
  additionalProperties: false,
} as const;
type PageQuery = { limit?: number; cursor?: string };

/** Header values arrive as latin-1; titles may be sent percent-encoded to carry UTF-8. */
function headerText(value: string | string[] | undefined, name: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AppError('VALIDATION_FAILED', `${name} is not valid percent-encoded text.`);
  }
}

/**
 * Document routes. Uploads are the raw bytes of the file as the body, with its media
 * type as Content-Type and the metadata in X-Document-Title / X-Document-Category; the
 * body reaches the core as a stream, never parsed or buffered whole.
 */
export async function documentRoutes(app: FastifyInstance, options: { maxBytes: number }) {
  app.get<{ Params: IdParams; Querystring: PageQuery }>('/v1/customers/:id/documents', { schema: { params: idParams, querystring: pageQuery } }, async (request) => {
    const page = await service.listCustomerDocuments(request.guardContext('rest'), request.params.id, request.query.limit, request.query.cursor);
    return { items: page.items.map(recordJson), nextCursor: page.nextCursor };
  });

  app.get<{ Params: IdParams }>('/v1/documents/:id', { schema: { params: idParams } }, async (request) =>
    recordJson(await service.getDocument(request.guardContext('rest'), request.params.id)),
  );

  app.get<{ Params: IdParams }>('/v1/documents/:id/content', { schema: { params: idParams } }, async (request, reply) => {
    const doc = await downloadDocument(request.guardContext('rest'), request.params.id);
    reply.header('etag', `"${doc.sha256}"`);
    reply.header('content-length', String(doc.sizeBytes));
    // The media type is the uploader's word: never let a browser sniff it into HTML.
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-disposition', 'attachment');
    // One chunk in flight at a time: the default object-mode buffer of 16 chunks of
    // 1 MiB pulled whole documents into memory ahead of a slow client.
    return reply.type(doc.contentType).send(Readable.from(doc.body, { highWaterMark: 1 }));
  });

  app.delete<{ Params: IdParams }>('/v1/documents/:id', { schema: { params: idParams } }, async (request, reply) => {
    await service.deleteDocument(request.guardContext('rest'), request.params.id);
    return reply.code(204).send();
  });

  await app.register(async (uploads) => {
    // Any media type is a document: hand the raw stream to the core, which enforces the limit.
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    uploads.post<{ Params: IdParams }>('/v1/customers/:id/documents', { schema: { params: idParams } }, async (request, reply) => {
      const length = Number(request.headers['content-length']);
      const created = await uploadDocument(request.guardContext('rest'), {
        customerId: request.params.id,
        category: request.headers['x-document-category'],
        title: headerText(request.headers['x-document-title'], 'X-Document-Title'),
        contentType: request.headers['content-type']?.split(';')[0]?.trim(),
        declaredBytes: Number.isFinite(length) ? length : null,
        body: (request.body ?? Readable.from([])) as AsyncIterable<Buffer>,
        maxBytes: options.maxBytes,
      });
      if (typeof created.values.id === 'string') reply.header('location', `/v1/documents/${created.values.id}`);
      return reply.code(201).send(recordJson(created));
    });
  });
}
