import type { AuditDecision } from '../audit/audit-event.js';
import * as history from '../audit/read-history.repository.js';
import { AppError } from '../errors.js';
import { canonicalId } from '../ids.js';
import { budgetFor, type ReadBudget } from '../policy/read-budget.js';
import { audit } from './guard.js';
import type { RequestContext } from './request-context.js';

/**
 * Checks the caller's read budget for `resourceType` (a stored resource's name, e.g.
 * `Customer`) before `ids` of it are returned: the distinct records of that resource it
 * read in the window, plus these. Each resource is counted on its own: reading customers
 * uses up nothing of a patients budget. Beyond the budget an `anomaly.bulk_access` event
 * over the resource is recorded (once per window, so a blocked scraper retrying does not
 * flood the trail), then `alert` lets the data through and `block` records the refused
 * request and answers 429 with the seconds until it would fit.
 *
 * Concurrent requests of one actor are counted one at a time under a database lock, so
 * neither parallel requests nor aliased fields in one GraphQL query can overshoot it.
 */
export async function enforceReadBudget(
  ctx: RequestContext,
  resourceType: string,
  denied: Pick<AuditDecision, 'action' | 'resourceIds' | 'details'>,
  given: string[],
): Promise<void> {
  const budget = budgetFor(ctx.policy.readBudgets, resourceType, ctx.principal.roles);
  if (!budget || given.length === 0) return;
  // One record counts once, however the caller spelled its id.
  const ids = [...new Set(given.map(canonicalId))];
  const sub = ctx.principal.sub;
  const now = Date.now();
  // Records this person read moments ago are already in the count: nothing to add.
  // Reads are remembered per budget: a token with a smaller one, or a reload that
  // lowers it, is counted in full.
  const budgetKey = `${budget.limit}/${budget.windowMs}/${budget.onExceed}`;
  if (ctx.recentReads.allRecorded(sub, resourceType, budgetKey, ids, budget.windowMs, now)) return;
  const since = new Date(now - budget.windowMs);
  // Counted and recorded under a per-person lock, so concurrent requests (or the
  // parallel fields of one GraphQL query) are counted one after the other, on any instance.
  const count = await history.countAndRecordReads(ctx.db, {
    actorSub: sub,
    resourceType,
    adding: ids,
    since,
    at: new Date(now),
    budget: budget.limit,
    recordOver: budget.onExceed === 'alert',
  });
  if (count <= budget.limit) {
    ctx.recentReads.remember(sub, resourceType, budgetKey, ids, now);
    return;
  }

  const block = budget.onExceed === 'block';
  if (!(await history.anomalyRecordedSince(ctx.db, sub, resourceType, since))) {
    await audit(ctx, {
      action: 'anomaly.bulk_access',
      resourceType,
      resourceIds: [],
      outcome: block ? 'denied' : 'allowed',
      reason: `Read budget of ${budget.limit} ${budget.plural} per ${budget.window} exceeded.`,
      details: { budget: budget.limit, window: budget.window, count, onExceed: budget.onExceed },
    });
  }
  if (!block) return;
  const retryAfter = await secondsUntilFits(ctx, budget, ids, count, now);
  await audit(ctx, { ...denied, resourceType, outcome: 'denied', reason: 'Read budget exceeded.' });
  ctx.metrics?.budgetRefused(resourceType);
  throw new AppError(
    'BUDGET_EXCEEDED',
    `Your read budget of ${budget.limit} ${budget.plural} per ${budget.window} is used up; retry after ${retryAfter} seconds.`,
    { retryAfter },
  );
}

/**
 * The request fits once `count - budget` of the other records of its resource read have their last
 * read leave the window. A request larger than the whole budget never fits: the full
 * window is the honest answer (a smaller page would fit sooner).
 */
async function secondsUntilFits(ctx: RequestContext, budget: ReadBudget, ids: string[], count: number, now: number): Promise<number> {
  const since = new Date(now - budget.windowMs);
  const freedAt =
    ids.length > budget.limit ? null : await history.nthOldestLastRead(ctx.db, ctx.principal.sub, budget.resource, since, ids, count - budget.limit);
  const at = freedAt ? freedAt.getTime() + budget.windowMs : now + budget.windowMs;
  return Math.max(1, Math.ceil((at - now) / 1000));
}
