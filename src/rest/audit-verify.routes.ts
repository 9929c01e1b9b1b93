import type { FastifyInstance } from 'fastify';
import { verifyAuditChain } from '../core/audit-verify.service.js';

const verifyQuery = {
  type: 'object',
  properties: { checkpoint: { type: 'string', maxLength: 100 } },
  additionalProperties: false,
} as const;

/** GET /v1/audit/verify: walk the chain, report the count verified and the first broken link. */
export async function auditVerifyRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { checkpoint?: string } }>('/v1/audit/verify', { schema: { querystring: verifyQuery } }, async (request) =>
    verifyAuditChain(request.guardContext('rest'), request.query.checkpoint),
  );
}
