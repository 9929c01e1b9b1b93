import Negotiator from 'negotiator';
import type { FastifyInstance } from 'fastify';
import { subjectAccessReport, type SubjectAccessReport } from '../core/subject-access.service.js';
import { recordJson } from './record-json.js';
import { ACCESS_REPORT_CSP, accessReportHtml } from './subject-access-html.js';

const params = {
  type: 'object',
  properties: {
    resource: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]{0,62}$' },
    id: { type: 'string', maxLength: 128 },
  },
  required: ['resource', 'id'],
} as const;

const query = {
  type: 'object',
  properties: { format: { type: 'string', enum: ['json', 'html'] } },
  additionalProperties: false,
} as const;

/** The report as JSON: records in the REST shape, each with its `_access`. */
const reportJson = (report: SubjectAccessReport) => ({
  ...report,
  record: recordJson(report.record),
  children: report.children.map((c) => ({ ...c, items: c.items.map(recordJson) })),
});

/** `?format=` wins; else the Accept header, JSON unless HTML is preferred (a browser). */
const wantsHtml = (format: string | undefined, accept: string | undefined) =>
  format ? format === 'html' : new Negotiator({ headers: { accept: accept ?? '*/*' } }).mediaType(['application/json', 'text/html']) === 'text/html';

/** Subject access (GDPR Art. 15): `/v1/subjects/<plural>/<id>/access-report`. */
export async function subjectAccessRoutes(app: FastifyInstance) {
  app.get<{ Params: { resource: string; id: string }; Querystring: { format?: 'json' | 'html' } }>(
    '/v1/subjects/:resource/:id/access-report',
    { schema: { params, querystring: query } },
    async (request, reply) => {
      const report = await subjectAccessReport(request.guardContext('rest'), request.params.resource, request.params.id);
      // Personal data: no cache keeps a copy.
      reply.header('cache-control', 'no-store');
      if (!wantsHtml(request.query.format, request.headers.accept)) return reportJson(report);
      return reply.type('text/html; charset=utf-8').header('content-security-policy', ACCESS_REPORT_CSP).send(accessReportHtml(report));
    },
  );
}
