import { assertCan, audit, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';
import { retentionHooks } from './retention-hooks.js';
import { retentionDue, type RetentionDue } from './retention.service.js';

/** Records looked at one by one per resource (for holds and children); beyond, counted only. */
export const RETENTION_SCAN_LIMIT = 5_000;

export interface RetentionDryRun {
  /** The instant every rule's cutoff is computed from. */
  asOf: string;
  policy: { version: string };
  resources: RetentionDue[];
  limits: string[];
}

/**
 * GET /v1/retention: `npm run retention -- --dry-run` over the API, for whoever may `read`
 * the `Inventory` (the record of processing states the retention periods; this says what
 * they reach today). Changes nothing; bounded (RETENTION_SCAN_LIMIT records per resource
 * looked at, the rest counted); audited as `retention.dry_run`, counts only.
 */
export async function retentionDryRun(ctx: RequestContext): Promise<RetentionDryRun> {
  return auditingDenials(ctx, { action: 'retention.dry_run', resourceType: 'Inventory', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'Inventory');
    const now = new Date();
    const { model } = ctx.policy;
    const resources = await retentionDue({ db: ctx.db, model, now, scanLimit: RETENTION_SCAN_LIMIT, ...retentionHooks(model) });
    const partial = resources.filter((r) => r.complete === false).map((r) => r.resource);
    const limits = partial.length > 0 ? [`More than ${RETENTION_SCAN_LIMIT} records of ${partial.join(', ')} are due: held records and children are counted over the first ${RETENTION_SCAN_LIMIT}; npm run retention -- --dry-run counts them all.`] : [];
    await audit(ctx, {
      action: 'retention.dry_run',
      resourceType: 'Inventory',
      resourceIds: [],
      outcome: 'allowed',
      details: { resources: resources.length, due: resources.reduce((n, r) => n + r.due, 0), held: resources.reduce((n, r) => n + r.held, 0) },
    });
    return { asOf: now.toISOString(), policy: { version: ctx.policy.version }, resources, limits };
  });
}
