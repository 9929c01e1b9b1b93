import { MAX_SUB_LENGTH } from '../ids.js';
import type { FastifyInstance } from 'fastify';
import { auditReport } from '../core/audit-report.service.js';

// Shapes only: presence and ISO formats are the core's to check, after the right to read.
const reportQuery = {
  type: 'object',
  properties: {
    actor: { type: 'string', maxLength: MAX_SUB_LENGTH },
    from: { type: 'string', maxLength: 40 },
    to: { type: 'string', maxLength: 40 },
  },
  additionalProperties: false,
} as const;

export async function auditReportRoutes(app: FastifyInstance) {
  app.get('/v1/audit/report', { schema: { querystring: reportQuery } }, async (request) => auditReport(request.guardContext('rest'), request.query));
}
