import type { FastifyInstance } from 'fastify';
import { describePolicy, previewAs, reloadPolicy } from '../core/policy.service.js';

/** The policy as a resource: inspect it, preview a record as someone else, reload it. */
export async function policyRoutes(app: FastifyInstance) {
  app.get('/v1/policy', async (request) => describePolicy(request.guardContext('rest')));
  app.post('/v1/policy/preview', { schema: { body: { type: 'object' } } }, async (request) =>
    previewAs(request.guardContext('rest'), request.body),
  );
  app.post('/v1/policy/reload', async (request) => reloadPolicy(request.guardContext('rest')));
}
