import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance } from 'fastify';
import { incidentScope, type IncidentScope } from '../core/incident-scope.service.js';
import { MAX_SUB_LENGTH } from '../ids.js';

// Shapes only: how many actors, and the window's bounds, are the core's to check, after the right.
const scopeQuery = {
  type: 'object',
  properties: {
    actor: { type: 'array', items: { type: 'string', maxLength: MAX_SUB_LENGTH }, maxItems: 100 },
    from: { type: 'string', maxLength: 40 },
    to: { type: 'string', maxLength: 40 },
    format: { type: 'string', maxLength: 8 },
  },
  additionalProperties: false,
} as const;

const CSV_COLUMNS = ['resource', 'id', 'fieldsClear', 'firstExposure', 'lastExposure'];

/** The people to notify, one row each: the subject, its personal fields seen clear (ids and timestamps left out), and when. */
export function notifyCsv(scope: IncidentScope): string {
  const rows = scope.notify.map((s) => [s.resource, s.id, s.personalClear.join(' '), s.firstExposure, s.lastExposure]);
  // An id starting with = + - @ would run as a formula in a spreadsheet: kept as text.
  return stringify(rows, { header: true, columns: CSV_COLUMNS, escape_formulas: true });
}

/** After a breach: who was exposed to what, from the trail. */
export async function incidentRoutes(app: FastifyInstance) {
  app.get('/v1/incidents/scope', { schema: { querystring: scopeQuery } }, async (request, reply) => {
    const scope = await incidentScope(request.guardContext('rest'), request.query);
    if ((request.query as { format?: string }).format !== 'csv') return scope;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="incident-notify.csv"')
      .send(notifyCsv(scope));
  });
}
