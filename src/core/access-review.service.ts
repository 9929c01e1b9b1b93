import { z } from 'zod';
import * as use from '../audit/access-use.repository.js';
import { AppError } from '../errors.js';
import { suggestNarrowing, type NarrowingSuggestion } from '../policy/access-narrowing.js';
import { exportRights, reviewPerson, type ExportRight, type PersonReview } from '../policy/access-review.js';
import { AccessUseTally, holdersOf } from '../policy/access-use.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

/** How far back a review may look. */
export const REVIEW_MAX_DAYS = 365;

/** The work one review may do: events scanned at most, per slice aggregated in SQL; people not seen listed. One object, so a test may lower it. */
export const REVIEW_BOUNDS = { maxEvents: 200_000, batch: 10_000, maxNotSeen: 500 };

export interface AccessReview {
  policy: { version: string };
  window: { days: number; from: string; to: string };
  scanned: { events: number; truncated: boolean; scannedUntil: string | null };
  people: PersonReview[];
  notSeen: { people: Array<{ sub: string; lastSeen: string; roles: string[] }>; truncated: boolean };
  rolesNotSeen: string[];
  exportRights: ExportRight[];
  suggestions: NarrowingSuggestion[];
  limits: string[];
}

export const reviewQuery = z.object({ days: z.coerce.number().int().min(1).max(REVIEW_MAX_DAYS).default(90), format: z.enum(['json', 'csv']).default('json') }).strict();

/**
 * "Who holds which rights, and who uses them?": per person seen in the last `days`, what
 * their roles grant against what they read; rights never used; people seen before and
 * not since; export rights unused; and per role an edit narrowing what none of its holders
 * read, with its `policy diff`. For whoever reads the audit trail; audited; bounded.
 */
export async function accessReview(ctx: RequestContext, query: unknown): Promise<AccessReview> {
  return auditingDenials(ctx, { action: 'access_review', resourceType: 'AuditEvent', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const parsed = reviewQuery.safeParse(query ?? {});
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', `days: a whole number of days from 1 to ${REVIEW_MAX_DAYS}; format: json or csv.`);
    const { days } = parsed.data;
    const to = new Date();
    const from = new Date(to.getTime() - days * 86_400_000);
    const review = await buildReview(ctx, days, from, to);
    await audit(ctx, {
      action: 'access_review',
      resourceType: 'AuditEvent',
      resourceIds: [],
      outcome: 'allowed',
      details: { days, events: review.scanned.events, people: review.people.length, truncated: review.scanned.truncated },
    });
    return review;
  });
}

async function buildReview(ctx: RequestContext, days: number, from: Date, to: Date): Promise<AccessReview> {
  const policy = ctx.policy;
  const types = [...policy.model.resources.keys()].filter((t) => policy.resources.has(t));
  const tally = new AccessUseTally();
  let [after, events, truncated, scannedUntil] = [await use.windowStart(ctx.db, from), 0, false, null as Date | null];
  for (;;) {
    if (events >= REVIEW_BOUNDS.maxEvents) {
      truncated = (await use.nextSlice(ctx.db, { after, since: from, until: to, limit: 1 })) !== null;
      break;
    }
    const next = await use.nextSlice(ctx.db, { after, since: from, until: to, limit: Math.min(REVIEW_BOUNDS.batch, REVIEW_BOUNDS.maxEvents - events) });
    if (!next) break;
    const slice = { after, upTo: next.upTo, since: from, until: to };
    tally.addPeople(await use.peopleIn(ctx.db, slice));
    tally.addFieldUse(await use.fieldUse(ctx.db, slice, types));
    tally.addExports(await use.exportUse(ctx.db, slice));
    [after, events, scannedUntil] = [next.upTo, events + next.events, next.lastAt];
  }
  const people = [...tally.people.values()].sort((a, b) => a.sub.localeCompare(b.sub));
  const notSeen = await use.peopleNotSeenSince(ctx.db, from, REVIEW_BOUNDS.maxNotSeen + 1);
  const compile = (document: unknown, version: string) => ctx.policyStore.compileDocument(document, version);
  return {
    policy: { version: policy.version },
    window: { days, from: from.toISOString(), to: to.toISOString() },
    scanned: { events, truncated, scannedUntil: scannedUntil?.toISOString() ?? null },
    people: people.map((p) => reviewPerson(policy, types, p)),
    notSeen: {
      people: notSeen.slice(0, REVIEW_BOUNDS.maxNotSeen).map((p) => ({ sub: p.sub, lastSeen: new Date(p.lastSeen).toISOString(), roles: p.roles })),
      truncated: notSeen.length > REVIEW_BOUNDS.maxNotSeen,
    },
    rolesNotSeen: [...policy.roles.keys()].filter((r) => holdersOf(r, people).length === 0).sort(),
    exportRights: exportRights(policy, types, tally),
    suggestions: suggestNarrowing(policy, types, people, days, compile),
    limits: limitsOf(truncated, scannedUntil, policy.claimsUsed.filter((c) => c !== 'sub')),
  };
}

function limitsOf(truncated: boolean, scannedUntil: Date | null, claims: readonly string[]): string[] {
  const limits = [
    'The service keeps no directory of users: a person is a sub the trail has seen. "Not seen" lists people seen before the window and not in it; someone who never made a request is in neither list.',
    "A person's rights are those of the roles on their latest event in the window, under the policy in force now; roles held earlier in the window count for the suggestions.",
    'Reads are events that showed fields: reads, lists, exports, downloads, and the answers of creates and updates. A list counts once per field, however many records it showed.',
    'Conditional grants (on some records only, or on a token claim such as your specialty) are decided on representative records, as policy check does: the trail keeps no token claims.',
    "Suggestions are edits for a person to weigh, not applied. A role's suggestion counts the reads of the people who held that role; roles inheriting it are named in alsoAffects where the edit would change them too.",
  ];
  if (claims.length > 0) limits.push(`A suggestion's diff is policy diff's, which decides without token claims (${claims.join(', ')}): there a rule on a claim grants nothing, so its changes may be missing or shown on every record.`);
  if (truncated) limits.push(`The review stopped at its cap of ${REVIEW_BOUNDS.maxEvents} events; events after ${scannedUntil?.toISOString() ?? 'the start of the window'} were not read.`);
  return limits;
}
