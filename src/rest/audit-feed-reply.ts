import type { FastifyReply } from 'fastify';
import { renderAuditEvent } from '../audit/formats/render.js';
import type { AuditFeedPage } from '../core/audit-feed.service.js';

export const FEED_FORMATS = ['json', 'ndjson', 'ocsf', 'ecs'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/**
 * Sends one feed page in the asked format. Every format carries the resume position
 * in `X-Next-Cursor`; ndjson has nowhere else to put it, since its body is only events.
 */
export function sendFeedPage(reply: FastifyReply, format: FeedFormat, page: AuditFeedPage) {
  if (page.nextCursor !== null) reply.header('x-next-cursor', page.nextCursor);
  switch (format) {
    case 'json':
      return reply.send(page);
    case 'ndjson':
      return reply.type('application/x-ndjson').send(page.items.map((e) => `${JSON.stringify(e)}\n`).join(''));
    case 'ocsf':
    case 'ecs':
      return reply.send({ items: page.items.map((event) => renderAuditEvent(format, event)), nextCursor: page.nextCursor });
  }
}
