import type { FastifyInstance } from 'fastify';
import { retentionDryRun } from '../core/retention-dry-run.service.js';

/** GET /v1/retention: what the policy's retention rules would erase or delete now (a dry run; changes nothing). */
export async function retentionRoutes(app: FastifyInstance) {
  app.get('/v1/retention', { schema: { querystring: { type: 'object', additionalProperties: false } } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return retentionDryRun(request.guardContext('rest'));
  });
}
