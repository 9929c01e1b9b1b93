import type { FastifyInstance } from 'fastify';
import { decideAccessRequest, listAccessRequests, REQUEST_STATUSES, requestAccess, revokeAccessRequest, type RequestStatus } from '../core/access-request.service.js';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;
const listQuery = {
  type: 'object',
  properties: { status: { type: 'string', enum: [...REQUEST_STATUSES] } },
  additionalProperties: false,
} as const;
const jsonBody = { type: 'object' } as const;

/** Asking to see more (core/access-request.service.ts): file, list, approve, deny, revoke. */
export async function accessRequestRoutes(app: FastifyInstance) {
  app.post('/v1/access-requests', { schema: { body: jsonBody } }, async (request, reply) => {
    const created = await requestAccess(request.guardContext('rest'), request.body);
    reply.header('location', `/v1/access-requests/${created.id}`);
    return reply.code(201).send(created);
  });

  app.get<{ Querystring: { status?: RequestStatus } }>('/v1/access-requests', { schema: { querystring: listQuery } }, async (request) => ({
    items: await listAccessRequests(request.guardContext('rest'), request.query.status),
  }));

  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string } }>(`/v1/access-requests/:id/${decision}`, { schema: { params: idParams } }, async (request) =>
      decideAccessRequest(request.guardContext('rest'), request.params.id, decision, request.body),
    );
  }
  app.post<{ Params: { id: string } }>('/v1/access-requests/:id/revoke', { schema: { params: idParams } }, async (request) =>
    revokeAccessRequest(request.guardContext('rest'), request.params.id, request.body),
  );
}
