import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The instance's metrics: counters for the code paths, sources for the gauges. */
    metrics: Metrics;
  }
}

interface MetricsOptions {
  metrics: Metrics;
  /** METRICS_TOKEN: the bearer scrapers send; unset, /metrics answers 404 (metrics off). */
  token: string | undefined;
}

const BEARER = /^Bearer[ ]+(\S+)$/i;
const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Counts every answered request by route pattern and serves `GET /metrics` to holders of
 * METRICS_TOKEN. Scrapers have no JWT, so the route sits outside the authenticated scope,
 * and outside the rate limit too: a limit meant for people must not leave gaps in a
 * scrape series. The token is compared as digests (equal lengths, constant time) and
 * never logged; a wrong or missing one is a 401 that names nothing.
 */
async function metricsPlugin(app: FastifyInstance, options: MetricsOptions) {
  const { metrics } = options;
  app.decorate('metrics', metrics);
  app.addHook('onResponse', async (request, reply) => {
    // The pattern, never the URL: ids and query strings would make a series per record.
    metrics.httpRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  const expected = options.token === undefined ? null : digest(options.token);
  const authorized = (request: FastifyRequest) => {
    const given = BEARER.exec(request.headers.authorization ?? '')?.[1];
    return expected !== null && given !== undefined && timingSafeEqual(digest(given), expected);
  };
  // Always registered, so the contract lists it; without a token it is as absent as any unknown path.
  app.get('/metrics', { config: { rateLimit: false } }, async (request, reply) => {
    if (expected === null) throw new AppError('NOT_FOUND', 'No such route.');
    if (!authorized(request)) throw new AppError('UNAUTHENTICATED', 'The metrics token is missing or wrong.');
    const { contentType, body } = await metrics.scrape();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}

export default fp(metricsPlugin, { name: 'metrics' });
