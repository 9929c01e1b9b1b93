import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { PrincipalStatusStore } from '../auth/principal-status.js';
import { AppError } from '../errors.js';

/**
 * Liveness (the process answers) and readiness (the database answers, and the memory of
 * disabled people is current, without which every request is refused). No auth, no data.
 */
export async function healthRoutes(app: FastifyInstance, options: { principalStatus: PrincipalStatusStore }) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    try {
      await sql`select 1`.execute(app.db);
    } catch {
      throw new AppError('UNAVAILABLE', 'The database is not reachable.');
    }
    if (!options.principalStatus.current) throw new AppError('UNAVAILABLE', 'Account status cannot be confirmed right now.');
    return { status: 'ready' };
  });
}
