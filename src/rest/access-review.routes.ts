import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance } from 'fastify';
import { attestAccessReview, listAttestations } from '../core/access-attestation.service.js';
import { accessReview, type AccessReview } from '../core/access-review.service.js';

// Shapes only: ranges are the core's to check, after the right to read the trail.
const reviewQuery = {
  type: 'object',
  properties: { days: { type: 'string', maxLength: 4 }, format: { type: 'string', maxLength: 8 } },
  additionalProperties: false,
} as const;

const CSV_COLUMNS = ['sub', 'roles', 'resource', 'field', 'grant', 'conditional', 'clearReads', 'maskedReads', 'lastUsed', 'finding'];

/** The per-person table, one row per person, resource and field; the rest of the review is JSON only. */
export function reviewCsv(review: AccessReview): string {
  const rows = review.people.flatMap((p) =>
    p.fields.map((f) => [p.sub, p.roles.join(' '), f.resource, f.field, f.grant, String(f.conditional), f.clearReads, f.maskedReads, f.lastUsed ?? '', f.finding]),
  );
  // A sub starting with = + - @ would run as a formula in a spreadsheet: kept as text.
  return stringify(rows, { header: true, columns: CSV_COLUMNS, escape_formulas: true });
}

/** Access reviews: rights held against rights used, and reviewers' sign-offs. */
export async function accessReviewRoutes(app: FastifyInstance) {
  app.get('/v1/access-review', { schema: { querystring: reviewQuery } }, async (request, reply) => {
    const review = await accessReview(request.guardContext('rest'), request.query);
    if ((request.query as { format?: string }).format !== 'csv') return review;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="access-review-${review.window.days}d.csv"`)
      .send(reviewCsv(review));
  });
  app.get('/v1/access-review/attestations', async (request) => listAttestations(request.guardContext('rest')));
  app.post('/v1/access-review/attestations', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    const attestation = await attestAccessReview(request.guardContext('rest'), request.body);
    return reply.code(201).send(attestation);
  });
}
