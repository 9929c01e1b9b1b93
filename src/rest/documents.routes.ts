import type { FastifyInstance } from 'fastify';
import { downloadDocument, uploadDocument } from '../core/document-transfer.service.js';
import * as service from '../core/document.service.js';
import { AppError } from '../errors.js';
import { acceptRawBodies, incomingFile, sendFile } from './file-transfer.js';
import { recordJson } from './record-json.js';

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
    return sendFile(reply, { mediaType: doc.contentType, sizeBytes: doc.sizeBytes, sha256: doc.sha256, body: doc.body });
  });

  app.delete<{ Params: IdParams }>('/v1/documents/:id', { schema: { params: idParams } }, async (request, reply) => {
    await service.deleteDocument(request.guardContext('rest'), request.params.id);
    return reply.code(204).send();
  });

  await app.register(async (uploads) => {
    // Any media type is a document: the core reads the raw stream and enforces the limit.
    acceptRawBodies(uploads);
    uploads.post<{ Params: IdParams }>('/v1/customers/:id/documents', { schema: { params: idParams } }, async (request, reply) => {
      const file = incomingFile(request);
      const created = await uploadDocument(request.guardContext('rest'), {
        customerId: request.params.id,
        category: request.headers['x-document-category'],
        title: headerText(request.headers['x-document-title'], 'X-Document-Title'),
        contentType: file.mediaType,
        declaredBytes: file.declaredBytes,
        body: file.body,
        maxBytes: options.maxBytes,
      });
      if (typeof created.values.id === 'string') reply.header('location', `/v1/documents/${created.values.id}`);
      return reply.code(201).send(recordJson(created));
    });
  });
}
