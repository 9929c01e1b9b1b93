import type { FastifyInstance } from 'fastify';
import { createAuditCheckpoint } from '../core/audit-checkpoint.service.js';
import { verifyAuditChain } from '../core/audit-verify.service.js';

const verifyQuery = {
  type: 'object',
  properties: { checkpoint: { type: 'string', maxLength: 100 } },
  additionalProperties: false,
} as const;

/**
 * GET /v1/audit/verify: walk the chain, report the count verified and the first broken link.
 * POST /v1/audit/checkpoints: verify, then record a checkpoint and answer its `SEQ:HASH`.
 */
export async function auditVerifyRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { checkpoint?: string } }>('/v1/audit/verify', { schema: { querystring: verifyQuery } }, async (request) =>
    verifyAuditChain(request.guardContext('rest'), request.query.checkpoint),
  );
  app.post('/v1/audit/checkpoints', async (request, reply) => reply.code(201).send(await createAuditCheckpoint(request.guardContext('rest'))));
}
