import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { HttpConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { WindowCounter } from './window-counter.js';

export interface SecurityOptions extends HttpConfig {
  /** Where the rate limit counts: this instance's memory, or Redis shared by all. */
  counter: WindowCounter;
}

/** @fastify/rate-limit's store over our counter (its own Redis store cannot fall back to memory). */
function counterStore(counter: WindowCounter, windowMs: number, prefix = 'rate:'): FastifyRateLimitStoreCtor {
  return class implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow?: number) {
      counter.hit(prefix + key, timeWindow ?? windowMs).then(({ count, ttlMs }) => callback(null, { current: count, ttl: ttlMs }), callback);
    }
    // A route with a limit of its own counts apart (the plugin passes its options with routeInfo).
    child(routeOptions: object) {
      const route = (routeOptions as { routeInfo?: { method?: unknown; url?: string } }).routeInfo ?? {};
      const Store = counterStore(counter, windowMs, `${prefix}${String(route.method)}${route.url ?? ''}:`);
      return new Store({});
    }
  };
}

/** The API returns JSON only: nothing may load, run or frame anything. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** Swagger UI: its own scripts, plus the inline styles it injects. */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'none'";
/**
 * GraphiQL (development only): its bundle and React are served from our own
 * dependencies, so nothing but 'self' is needed; its editors inject inline styles.
 */
const GRAPHIQL_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; worker-src 'none'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'none'";

export const cspFor = (url: string) =>
  url.startsWith('/docs') ? DOCS_CSP : url.startsWith('/graphiql') ? GRAPHIQL_CSP : API_CSP;

/**
 * Browser-facing defences and per-principal rate limiting, in one place:
 * helmet's headers, a CSP scoped by route family (the API allows nothing, the two
 * developer UIs what they need), CORS only for configured origins, and a request
 * budget per principal so one stolen token cannot monopolise the service.
 */
async function securityPlugin(app: FastifyInstance, options: SecurityOptions) {
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
    // A page the API renders itself (the printable access report) sets a stricter one of its own.
    if (reply.hasHeader('content-security-policy')) return;
    reply.header('content-security-policy', cspFor(request.url));
  });

  // Bearer tokens, not cookies: no credentials mode, and no origin at all unless configured.
  await app.register(cors, {
    origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-purpose', 'x-request-id', 'x-fieldguard-csrf'],
    exposedHeaders: ['x-request-id', 'retry-after', 'location', 'x-fieldguard-withheld'],
    credentials: false,
    maxAge: 600,
  });

  if (options.rateLimitMax === 0) return;
  await app.register(rateLimit, {
    global: true,
    max: options.rateLimitMax,
    timeWindow: options.rateLimitWindowMs,
    store: counterStore(options.counter, options.rateLimitWindowMs),
    // After authentication, so the budget belongs to the verified principal, not an IP
    // shared by a whole office (or rotated by an attacker holding one token).
    hook: 'preHandler',
    keyGenerator: (request) => (request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', 'Too many requests; slow down and retry later.', {
        retryAfter: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });
}

export default fp(securityPlugin, { name: 'security' });
