import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Stored bytes on their way out: a document's content, a record's file field. */
export interface OutgoingFile {
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  body: AsyncIterable<Buffer>;
}

export function sendFile(reply: FastifyReply, file: OutgoingFile) {
  reply.header('etag', `"${file.sha256}"`);
  reply.header('content-length', String(file.sizeBytes));
  // The media type is the uploader's word: never let a browser sniff it into HTML.
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-disposition', 'attachment');
  // One chunk in flight at a time: the default object-mode buffer of 16 chunks of
  // 1 MiB pulled whole files into memory ahead of a slow client.
  return reply.type(file.mediaType).send(Readable.from(file.body, { highWaterMark: 1 }));
}

/**
 * Lets the routes registered in `app` take any media type as a raw stream: the core reads
 * it (and enforces the size limit), nothing parses or buffers it whole. Call inside an
 * encapsulated plugin, so other routes keep their JSON parser.
 */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
}

/** The parts of an upload request the core needs. */
export function incomingFile(request: FastifyRequest) {
  const length = Number(request.headers['content-length']);
  return {
    mediaType: request.headers['content-type']?.split(';')[0]?.trim(),
    declaredBytes: Number.isFinite(length) ? length : null,
    body: (request.body ?? Readable.from([])) as AsyncIterable<Buffer>,
  };
}
