import type { FastifyInstance } from 'fastify';
import { recordOfProcessing } from '../core/inventory.service.js';
import { inventoryMarkdown } from '../core/inventory-markdown.js';

// Shape only: the value is the core's to check, after the right.
const inventoryQuery = { type: 'object', properties: { format: { type: 'string', maxLength: 8 } }, additionalProperties: false } as const;

export interface InventoryRouteOptions {
  /** The running rate limit, stated among the security measures. */
  rateLimit: { max: number; windowMs: number };
}

/** GET /v1/inventory: the record of processing (GDPR Art. 30), JSON or markdown. */
export async function inventoryRoutes(app: FastifyInstance, { rateLimit }: InventoryRouteOptions) {
  app.get('/v1/inventory', { schema: { querystring: inventoryQuery } }, async (request, reply) => {
    const { inventory, format } = await recordOfProcessing(request.guardContext('rest'), request.query, rateLimit);
    if (format === 'json') return inventory;
    return reply
      .type('text/markdown; charset=utf-8')
      .header('content-disposition', `attachment; filename="record-of-processing-${inventory.generatedAt.slice(0, 10)}.md"`)
      .send(inventoryMarkdown(inventory));
  });
}
