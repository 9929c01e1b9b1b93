import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import mercurius from 'mercurius';
import { errorCodes, type ErrorCode } from '../errors.js';
import { projectFile } from '../paths.js';
import { bearerChallenge } from '../rest/problem.js';
import { formatGraphQLError, queryErrors } from './errors.js';
import { checkQueryLength, GRAPHQL_LIMITS, limitRules, noIntrospection } from './limits.js';
import { loaders, resolvers } from './resolvers.js';

export const loadSchemaSdl = () => readFileSync(projectFile('schema.graphql'), 'utf8');

/** In production, "Did you mean ...?" would spell out the schema that introspection hides. */
const withoutSuggestions = (message: string) => message.replace(/ ?Did you mean .*\?$/s, '');

/** Headers a browser cannot send cross-site without a CORS preflight (CSRF prevention). */
const CSRF_HEADERS = ['x-fieldguard-csrf', 'x-apollo-operation-name', 'apollo-require-preflight', 'x-mercurius-operation-name', 'mercurius-require-preflight'];

/**
 * GraphQL at /graphql over the same core as REST. The bearer token is checked before
 * mercurius parses anything; GraphiQL and introspection are served only outside
 * production. Every limit (limits.ts) is checked before a resolver runs.
 */
async function graphqlRoutes(app: FastifyInstance, options: { production: boolean }) {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === '/graphql') await app.authenticate(request);
  });
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.url !== '/graphql') return;
    const input = (request.method === 'GET' ? request.query : request.body) as { query?: unknown } | null;
    checkQueryLength(input?.query);
  });
  await app.register(mercurius, {
    schema: loadSchemaSdl(),
    resolvers,
    loaders,
    graphiql: !options.production,
    // No `jit`: mercurius caches a compiled query by the document's text alone and then
    // runs it whatever operationName a later request names, so in a document holding
    // several operations one caller's choice (a mutation) would run for everyone. It
    // measured no faster here anyway.
    graphql: { parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens } },
    validationRules: options.production ? [...limitRules, noIntrospection] : limitRules,
    // JSON bodies are preflighted anyway; a GET (queries only) must carry one of these headers.
    csrfPrevention: { requiredHeaders: CSRF_HEADERS },
    // Mercurius also builds a context to format an error raised before the route ran (a
    // refused token): without a principal there is nothing to guard, and asking for one
    // would replace the token's real reason by "a bearer token is required".
    context: (request) => (request.principal ? { guard: request.guardContext('graphql') } : {}),
    errorFormatter: (execution, context) => {
      const log = context.reply.request.log;
      let queryStatus = 400;
      const errors = (execution.errors ?? [])
        .flatMap((e) => {
          const refused = queryErrors(e);
          if (!refused) return [formatGraphQLError(e, log)];
          queryStatus = refused.status;
          return refused.errors;
        })
        .map((e) => (options.production ? { ...e, message: withoutSuggestions(e.message) } : e));
      // Fail closed: if the audit trail or the database failed, no data of this request
      // leaves, and the status says "try again" (503) as REST does.
      const unavailable = errors.some((e) => errorCodes[e.extensions.code as ErrorCode]?.status === 503);
      const invalid = !execution.data && errors.every((e) => e.extensions.code === 'GRAPHQL_VALIDATION_FAILED');
      // Refused before execution (rate limit, ...): the HTTP status says so, as in REST.
      const early = execution.data ? undefined : errors.find((e) => !e.path && (e.extensions.code as string) in errorCodes);
      const retryAfter = early?.extensions.retryAfter;
      if (typeof retryAfter === 'number') context.reply.header('retry-after', String(retryAfter));
      const statusCode = unavailable ? 503 : invalid ? queryStatus : early ? errorCodes[early.extensions.code as ErrorCode].status : 200;
      if (statusCode === 401) context.reply.header('www-authenticate', bearerChallenge(context.reply.request.headers.authorization));
      return { statusCode, response: { data: unavailable ? null : (execution.data ?? null), errors } };
    },
  });
}

export const graphqlPlugin = fp(graphqlRoutes, { name: 'graphql', dependencies: ['auth', 'guard'] });
