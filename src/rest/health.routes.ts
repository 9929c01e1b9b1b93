import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { AppError } from '../errors.js';

/** Liveness (the process answers) and readiness (the database answers). No auth, no data. */
export async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    try {
      await sql`select 1`.execute(app.db);
    } catch {
      throw new AppError('UNAVAILABLE', 'The database is not reachable.');
    }
    return { status: 'ready' };
  });
}
