import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import mercurius, { type IResolvers } from 'mercurius';
import { GrantStore } from '../core/access-grants.js';
import type { RequestContext } from '../core/request-context.js';
import { AppError } from '../errors.js';
import { bearerChallenge } from '../rest/problem.js';
import type { Model } from '../model/model.js';
import { formatGraphQLError, queryErrors } from './errors.js';
import { graphiqlPlugin } from './graphiql.plugin.js';
import { GRAPHQL_RESPONSE_JSON, negotiateMediaType, responseStatus, type GraphQLOutcome } from './http-response.js';
import { interpretUnlessOneOperation } from './jit.js';
import { checkQueryIsText, checkQueryLength, GRAPHQL_LIMITS, limitRules, noIntrospection } from './limits.js';
import { generatedDoors } from './generated-schema.js';
import { generatedResolvers, nodeOfAny } from './record.resolvers.js';
import { builtInResolvers } from './resolvers.js';
import { servedParts, servedSchemaSdl } from './schema-sdl.js';

export { loadSchemaSdl } from './schema-sdl.js';

/** In production, "Did you mean ...?" would spell out the schema that introspection hides. */
const withoutSuggestions = (message: string) => message.replace(/ ?Did you mean .*\?$/s, '');

/** Headers a browser cannot send cross-site without a CORS preflight (CSRF prevention). */
const CSRF_HEADERS = ['x-fieldguard-csrf', 'x-apollo-operation-name', 'apollo-require-preflight', 'x-mercurius-operation-name', 'mercurius-require-preflight'];

/**
 * GraphQL at /graphql over the same core as REST. The bearer token is checked before
 * mercurius parses anything; GraphiQL (graphiql.plugin.ts) and introspection are served
 * only outside production. Every limit (limits.ts) is checked before a resolver runs.
 * Statuses and media types follow GraphQL over HTTP (http-response.ts).
 *
 * The schema is a function of the model, built once at start-up (schema-sdl.ts): the
 * hand-written doors it keeps and a generated door per other stored resource. A model
 * with nothing to query (no stored resource) gets no /graphql.
 */
async function graphqlRoutes(app: FastifyInstance, options: { production: boolean; model: Model; jit: boolean }) {
  const schema = servedSchemaSdl(options.model);
  if (schema === null) {
    app.log.info('The model has no stored resource: no GraphQL endpoint');
    return;
  }
  const builtIn = builtInResolvers(servedParts(options.model));
  const doors = generatedDoors(options.model);
  const generated = generatedResolvers(doors, nodeOfAny(doors));
  const isGraphQL = (request: FastifyRequest) => request.routeOptions.url === '/graphql';
  // Asked in onRequest, onSend and the error formatter: negotiated once per request.
  const mediaTypes = new WeakMap<FastifyRequest, ReturnType<typeof negotiateMediaType>>();
  const mediaTypeOf = (request: FastifyRequest) => {
    let type = mediaTypes.get(request);
    if (type === undefined) mediaTypes.set(request, (type = negotiateMediaType(request.headers.accept)));
    return type;
  };
  app.addHook('onRequest', async (request) => {
    if (!isGraphQL(request)) return;
    await app.authenticate(request);
    if (!mediaTypeOf(request)) {
      throw new AppError('NOT_ACCEPTABLE', `Accept must allow application/json or ${GRAPHQL_RESPONSE_JSON}.`);
    }
  });
  // Before fastify validates the body: its schema would coerce `"query": 5` (or true, or
  // a one-element array) into a string and run it.
  app.addHook('preValidation', async (request) => {
    if (!isGraphQL(request)) return;
    const input = (request.method === 'GET' ? request.query : request.body) as { query?: unknown } | null;
    checkQueryIsText(input?.query);
  });
  app.addHook('preHandler', async (request) => {
    if (!isGraphQL(request)) return;
    const input = (request.method === 'GET' ? request.query : request.body) as { query?: unknown } | null;
    checkQueryLength(input?.query);
  });
  app.addHook('onSend', async (request, reply) => {
    const type = reply.getHeader('content-type');
    if (isGraphQL(request) && mediaTypeOf(request) === GRAPHQL_RESPONSE_JSON && typeof type === 'string' && type.startsWith('application/json')) {
      reply.header('content-type', `${GRAPHQL_RESPONSE_JSON}; charset=utf-8`);
    }
  });
  if (!options.production) await app.register(graphiqlPlugin);
  await app.register(mercurius, {
    schema,
    resolvers: rootResolvers(builtIn.resolvers, generated.resolvers),
    loaders: { ...builtIn.loaders, ...generated.loaders },
    graphiql: false,
    // Compiled on a document's second request; mercurius would then run it whatever
    // operationName a later request names: interpretUnlessOneOperation (jit.ts) keeps the
    // compiled path to single-operation documents.
    ...(options.jit ? { jit: 1 } : {}),
    graphql: { parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens } },
    validationRules: options.production ? [...limitRules, noIntrospection] : limitRules,
    // JSON bodies are preflighted anyway; a GET (queries only) must carry one of these headers.
    csrfPrevention: { requiredHeaders: CSRF_HEADERS },
    // Mercurius also builds a context to format an error raised before the route ran (a
    // refused token): without a principal there is nothing to guard, and asking for one
    // would replace the token's real reason by "a bearer token is required".
    context: (request) => (request.principal ? { guard: request.guardContext('graphql') } : {}),
    errorFormatter: (execution, context) => {
      const request = context.reply.request;
      let refusal: GraphQLOutcome['refusal'] = null;
      const errors = (execution.errors ?? [])
        .flatMap((e) => {
          const refused = queryErrors(e);
          if (!refused) return [formatGraphQLError(e, request.log)];
          refusal = refused;
          return refused.errors;
        })
        .map((e) => (options.production ? { ...e, message: withoutSuggestions(e.message) } : e));
      const mediaType = mediaTypeOf(request) ?? 'application/json';
      const { status, withData } = responseStatus({ errors, executed: execution.data !== undefined, refusal, mediaType });
      if (status === 401) context.reply.header('www-authenticate', bearerChallenge(request.headers.authorization));
      const retryAfter = errors.find((e) => typeof e.extensions.retryAfter === 'number')?.extensions.retryAfter;
      if (status === 429 && retryAfter !== undefined) context.reply.header('retry-after', String(retryAfter));
      // Fail closed: without `data`, no data of this request leaves (see responseStatus).
      return { statusCode: status, response: withData ? { data: execution.data ?? null, errors } : { errors } };
    },
  });
  // The caller's access grants, loaded once the query passed its limits (REST loads them
  // in the guard's preHandler): rendering then finds them in memory.
  app.graphql.addHook('preExecution', async (_schema, _document, context) => {
    const guard = (context as { guard?: RequestContext }).guard;
    if (guard?.grantStore && GrantStore.mayHoldGrants(guard.policy, guard.principal)) await guard.grantStore.refresh(guard.principal.sub);
  });
  if (options.jit) app.graphql.addHook('preExecution', interpretUnlessOneOperation);
}

/** Both doors' root resolvers; a root without fields (no mutation at all) is not in the schema. */
function rootResolvers(...parts: IResolvers[]): IResolvers {
  const roots: Record<string, Record<string, unknown>> = {};
  for (const root of ['Query', 'Mutation']) {
    const fields = Object.assign({}, ...parts.map((p) => p[root] ?? {})) as Record<string, unknown>;
    if (Object.keys(fields).length > 0) roots[root] = fields;
  }
  return roots as IResolvers;
}

export const graphqlPlugin = fp(graphqlRoutes, { name: 'graphql', dependencies: ['auth', 'guard'] });
