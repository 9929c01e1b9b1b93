import type { FastifyInstance } from 'fastify';
import { readAuditFeed } from '../core/audit-feed.service.js';

const feedQuery = {
  type: 'object',
  properties: {
    after: { type: 'string', maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 100 },
  },
  additionalProperties: false,
} as const;

export async function auditRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { after?: string; limit?: number } }>('/v1/audit/events', { schema: { querystring: feedQuery } }, async (request) =>
    readAuditFeed(request.guardContext('rest'), request.query.after, request.query.limit),
  );
}
