import type { FastifyInstance } from 'fastify';
import { disablePrincipal, enablePrincipal, listPrincipals } from '../core/principal.service.js';
import { MAX_SUB_LENGTH } from '../ids.js';

/**
 * A `sub` in the path, percent-decoded by the router (`auth0%7C42` is `auth0|42`, `%2F`
 * a slash): as long as a token's `sub` may be, and no control characters.
 */
export const subParams = {
  type: 'object',
  properties: { sub: { type: 'string', minLength: 1, maxLength: MAX_SUB_LENGTH, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } },
  required: ['sub'],
} as const;

export const principalsQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 1500 },
  },
  additionalProperties: false,
} as const;

type SubParams = { sub: string };

/** Leavers: the people the service has seen, and disabling or enabling one (admins, per policy). */
export async function principalRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { limit: number; cursor?: string } }>('/v1/principals', { schema: { querystring: principalsQuery } }, async (request) =>
    listPrincipals(request.guardContext('rest'), request.query.limit, request.query.cursor),
  );
  app.post<{ Params: SubParams }>('/v1/principals/:sub/disable', { schema: { params: subParams } }, async (request) =>
    disablePrincipal(request.guardContext('rest'), request.params.sub, request.body),
  );
  app.post<{ Params: SubParams }>('/v1/principals/:sub/enable', { schema: { params: subParams } }, async (request) =>
    enablePrincipal(request.guardContext('rest'), request.params.sub, request.body),
  );
}
