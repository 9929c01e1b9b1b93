import { MAX_SUB_LENGTH } from '../ids.js';
import type { FastifyInstance } from 'fastify';
import { readAuditFeed } from '../core/audit-feed.service.js';
import { FEED_FORMATS, sendFeedPage, type FeedFormat } from './audit-feed-reply.js';

const feedQuery = {
  type: 'object',
  properties: {
    after: { type: 'string', maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    format: { type: 'string', enum: FEED_FORMATS, default: 'json' },
    actor: { type: 'string', minLength: 1, maxLength: MAX_SUB_LENGTH },
    resourceId: { type: 'string', minLength: 1, maxLength: 64 },
    action: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    outcome: { type: 'string', enum: ['allowed', 'denied'] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

interface FeedQuery {
  after?: string;
  limit?: number;
  format: FeedFormat;
  actor?: string;
  resourceId?: string;
  action?: string;
  outcome?: 'allowed' | 'denied';
  from?: string;
  to?: string;
}

export async function auditRoutes(app: FastifyInstance) {
  app.get<{ Querystring: FeedQuery }>('/v1/audit/events', { schema: { querystring: feedQuery } }, async (request, reply) => {
    const { after, limit, format, from, to, ...rest } = request.query;
    const filter = { ...rest, ...(from && { from: new Date(from) }), ...(to && { to: new Date(to) }) };
    const page = await readAuditFeed(request.guardContext('rest'), after, limit, filter);
    return sendFeedPage(reply, format, page);
  });
}
