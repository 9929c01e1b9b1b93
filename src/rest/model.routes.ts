import type { FastifyInstance } from 'fastify';
import { describeModel } from '../core/model.service.js';

/** The data model as the caller may use it (the console builds its record screens from it). */
export async function modelRoutes(app: FastifyInstance) {
  app.get('/v1/model', async (request) => describeModel(request.guardContext('rest')));
}
