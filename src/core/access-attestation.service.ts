import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { MAX_SUB_LENGTH } from '../ids.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { REVIEW_MAX_DAYS } from './access-review.service.js';
import type { RequestContext } from './request-context.js';

/** The longest note a reviewer may leave: a sentence or two, not a document. */
export const NOTE_MAX_LENGTH = 2000;

const attestationBody = z
  .object({
    scope: z
      .object({
        days: z.number().int().min(1).max(REVIEW_MAX_DAYS),
        roles: z.array(z.string().min(1).max(100)).max(100).optional(),
        people: z.array(z.string().min(1).max(MAX_SUB_LENGTH)).max(1000).optional(),
      })
      .strict(),
    note: z.string().trim().min(1).max(NOTE_MAX_LENGTH),
  })
  .strict();

export interface Attestation {
  eventId: string;
  seq: string;
  occurredAt: string;
  reviewer: string;
  scope: z.infer<typeof attestationBody>['scope'];
  note: string;
}

/**
 * A reviewer's sign-off on an access review, kept as an audit event in the chain, so that
 * "regular access reviews" leave evidence nobody can edit later. The note lives in the
 * event's details only (never in a log line); it is free text the service cannot check
 * for personal data, which the docs ask reviewers not to write.
 */
export async function attestAccessReview(ctx: RequestContext, body: unknown): Promise<Attestation> {
  return auditingDenials(ctx, { action: 'access_review.attested', resourceType: 'AccessReview', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const parsed = attestationBody.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
      throw new AppError('VALIDATION_FAILED', `Send { scope: { days, roles?, people? }, note } (note up to ${NOTE_MAX_LENGTH} characters): ${problems.join('; ')}.`);
    }
    const { scope, note } = parsed.data;
    const eventId = await audit(ctx, { action: 'access_review.attested', resourceType: 'AccessReview', resourceIds: [], outcome: 'allowed', details: { scope, note } });
    const { rows } = await sql<{ seq: string; occurredAt: Date }>`select seq::text as seq, occurred_at as "occurredAt" from audit_events where event_id = ${eventId}`.execute(ctx.db);
    return { eventId, seq: rows[0]!.seq, occurredAt: new Date(rows[0]!.occurredAt).toISOString(), reviewer: ctx.principal.sub, scope, note };
  });
}

/**
 * Past sign-offs, newest first, read back from the trail. Like the feed, a successful
 * read is not audited (it would be noise about noise); a refused one is.
 */
export async function listAttestations(ctx: RequestContext): Promise<{ items: Attestation[] }> {
  return auditingDenials(ctx, { action: 'access_review', resourceType: 'AccessReview', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const { rows } = await sql<{ eventId: string; seq: string; occurredAt: Date; reviewer: string; details: { scope: Attestation['scope']; note: string } }>`
      select event_id as "eventId", seq::text as seq, occurred_at as "occurredAt", actor_sub as reviewer, details
      from audit_events where action = 'access_review.attested' and outcome = 'allowed' order by seq desc limit 100`.execute(ctx.db);
    return { items: rows.map((r) => ({ eventId: r.eventId, seq: r.seq, occurredAt: new Date(r.occurredAt).toISOString(), reviewer: r.reviewer, scope: r.details.scope, note: r.details.note })) };
  });
}
