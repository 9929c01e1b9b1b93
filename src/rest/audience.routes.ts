import type { FastifyInstance } from 'fastify';
import { exportAudience } from '../core/audience.service.js';
import { sendExport } from './export-stream.js';
import { exportQuery } from './records.routes.js';

export const audienceParams = {
  type: 'object',
  properties: {
    resource: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]{0,62}$' },
    purpose: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,39}$' },
  },
  required: ['resource', 'purpose'],
} as const;

/**
 * The audience of a purpose (marketing): the contact fields of the subjects who consented,
 * streamed as CSV or NDJSON like an export. Contact fields the caller may see on no record
 * are named in X-Fieldguard-Withheld (empty cells in CSV, absent in NDJSON).
 */
export async function audienceRoutes(app: FastifyInstance) {
  app.get<{ Params: { resource: string; purpose: string }; Querystring: { format: 'csv' | 'ndjson' } }>(
    '/v1/audiences/:resource/:purpose',
    { schema: { params: audienceParams, querystring: exportQuery } },
    async (request, reply) => {
      const result = await exportAudience(request.guardContext('rest'), request.params.resource, request.params.purpose, request.query.format);
      reply.header('x-fieldguard-withheld', result.withheld.join(','));
      return sendExport(reply, request.query.format, result);
    },
  );
}
