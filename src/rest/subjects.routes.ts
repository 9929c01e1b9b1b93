import type { FastifyInstance } from 'fastify';
import { eraseSubjectAs, placeHoldAs, releaseHoldAs } from '../core/erasure.service.js';

// Shapes only, bounded before any policy check: a resource name (PascalCase, as the model
// names it) and an id as any key column may spell it. Bodies are the core's to check.
const params = {
  type: 'object',
  properties: {
    resource: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]{0,63}$' },
    id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
  },
  required: ['resource', 'id'],
  additionalProperties: false,
} as const;
const body = { type: 'object' } as const;

type Params = { resource: string; id: string };

/** A person's erasure (GDPR Art. 17) and legal holds, by resource name and record id. */
export async function subjectRoutes(app: FastifyInstance) {
  app.post<{ Params: Params }>('/v1/subjects/:resource/:id/erase', { schema: { params, body } }, async (request) =>
    eraseSubjectAs(request.guardContext('rest'), request.params.resource, request.params.id, request.body),
  );
  app.post<{ Params: Params }>('/v1/subjects/:resource/:id/hold', { schema: { params, body } }, async (request) =>
    placeHoldAs(request.guardContext('rest'), request.params.resource, request.params.id, request.body),
  );
  app.delete<{ Params: Params }>('/v1/subjects/:resource/:id/hold', { schema: { params } }, async (request) =>
    releaseHoldAs(request.guardContext('rest'), request.params.resource, request.params.id),
  );
}
