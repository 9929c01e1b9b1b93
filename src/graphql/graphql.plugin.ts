import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import mercurius from 'mercurius';
import { projectFile } from '../paths.js';
import { formatGraphQLError } from './errors.js';
import { loaders, resolvers } from './resolvers.js';

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
    loaders,
    graphiql: !options.production,
    queryDepth: 8,
    context: (request) => ({ guard: request.guardContext('graphql') }),
    errorFormatter: (execution, context) => {
      const log = context.reply.request.log;
      const errors = (execution.errors ?? []).map((e) => formatGraphQLError(e, log));
      // Fail closed: if any audit write failed, no data of this request leaves.
      const auditDown = errors.some((e) => e.extensions.code === 'AUDIT_UNAVAILABLE');
      const invalid = !execution.data && errors.every((e) => e.extensions.code === 'GRAPHQL_VALIDATION_FAILED');
      return {
        statusCode: auditDown ? 503 : invalid ? 400 : 200,
        response: { data: auditDown ? null : (execution.data ?? null), errors },
      };
    },
  });
}

export const graphqlPlugin = fp(graphqlRoutes, { name: 'graphql', dependencies: ['auth', 'guard'] });
