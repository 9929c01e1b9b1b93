import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import mercurius from 'mercurius';
import { errorCodes, type ErrorCode } from '../errors.js';
import { projectFile } from '../paths.js';
import { formatGraphQLError } from './errors.js';
import { resolvers } from './resolvers.js';

export const loadSchemaSdl = () => readFileSync(projectFile('schema.graphql'), 'utf8');

/**
 * GraphQL at /graphql over the same core as REST. The bearer token is checked before
 * mercurius parses anything; GraphiQL is served only outside production.
 */
async function graphqlRoutes(app: FastifyInstance, options: { production: boolean }) {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === '/graphql') await app.authenticate(request);
  });
  await app.register(mercurius, {
    schema: loadSchemaSdl(),
    resolvers,
    graphiql: !options.production,
    queryDepth: 8,
    context: (request) => ({ guard: request.guardContext('graphql') }),
    errorFormatter: (execution, context) => {
      const log = context.reply.request.log;
      const errors = (execution.errors ?? []).map((e) => formatGraphQLError(e, log));
      // Fail closed: if the audit trail or the database failed, no data of this request
      // leaves, and the status says "try again" (503) as REST does.
      const unavailable = errors.some((e) => errorCodes[e.extensions.code as ErrorCode]?.status === 503);
      const invalid = !execution.data && errors.every((e) => e.extensions.code === 'GRAPHQL_VALIDATION_FAILED');
      return {
        statusCode: unavailable ? 503 : invalid ? 400 : 200,
        response: { data: unavailable ? null : (execution.data ?? null), errors },
      };
    },
  });
}

export const graphqlPlugin = fp(graphqlRoutes, { name: 'graphql', dependencies: ['auth', 'guard'] });
