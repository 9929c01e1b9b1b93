import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Starts a graceful shutdown: from now on every new request gets a 503, and the
     * promise resolves once the requests already in flight have been answered (their
     * audit rows committed), or after `timeoutMs` at the latest.
     */
    drain(timeoutMs: number): Promise<void>;
  }
}

/**
 * Shutdown without losing work or leaving callers hanging. fastify's own close stops
 * accepting connections at once (a caller then sees "connection refused", not a 503)
 * and answers requests on open keep-alive connections with a bare 503. Draining first,
 * with the listener still open, gives every request that arrives during shutdown our
 * problem+json 503 and `Connection: close`, so clients and load balancers retry
 * elsewhere, while the requests in flight finish. Only then does the server close.
 */
async function drainPlugin(app: FastifyInstance) {
  let draining = false;
  let inFlight = 0;
  let settle: (() => void) | undefined;

  app.addHook('onRequest', async (request, reply) => {
    if (draining) {
      // Answered here rather than thrown: /graphql has mercurius' own error handler,
      // which would render this as a GraphQL error (and try to authenticate first).
      const problem = new AppError('UNAVAILABLE', 'The service is shutting down; try again.');
      return reply
        .code(problem.status)
        .header('connection', 'close')
        .type('application/problem+json')
        .send({
          type: 'https://fieldguard.dev/problems/unavailable',
          title: problem.title,
          status: problem.status,
          detail: problem.message,
          code: problem.code,
          requestId: request.id,
        });
    }
    inFlight += 1;
    // 'close' fires once the response is sent or the connection is gone, whichever first.
    reply.raw.once('close', () => {
      inFlight -= 1;
      if (draining && inFlight === 0) settle?.();
    });
  });

  // Once draining, no connection is kept alive: a client must not queue its next request
  // on a socket the server is about to close (that would be a reset, not a 503).
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });

  app.decorate('drain', (timeoutMs: number) => {
    draining = true;
    if (inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      settle = resolve;
      setTimeout(resolve, timeoutMs).unref();
    });
  });
}

export default fp(drainPlugin, { name: 'drain' });
