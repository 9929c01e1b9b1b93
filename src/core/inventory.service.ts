import { z } from 'zod';
import { trailFacts } from '../audit/inventory.repository.js';
import { AppError } from '../errors.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { buildInventory, type Inventory } from './inventory.js';
import type { RequestContext } from './request-context.js';

/** How far back the trail's figures look. */
export const INVENTORY_DAYS = 90;

export const inventoryQuery = z.object({ format: z.enum(['json', 'md']).default('json') }).strict();

/**
 * The record of processing, for whoever may `read` the `Inventory` (the dpo in the default
 * policy): from the model, the policy and the last 90 days of the trail. Audited.
 */
export async function recordOfProcessing(ctx: RequestContext, query: unknown, rateLimit: { max: number; windowMs: number } | null): Promise<{ inventory: Inventory; format: 'json' | 'md' }> {
  return auditingDenials(ctx, { action: 'inventory', resourceType: 'Inventory', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'Inventory');
    const parsed = inventoryQuery.safeParse(query ?? {});
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'format: json or md.', { fields: ['format'] });
    const now = new Date();
    const facts = await trailFacts(ctx.db, new Date(now.getTime() - INVENTORY_DAYS * 86_400_000));
    const inventory = buildInventory(ctx.policy, { facts, days: INVENTORY_DAYS, now, rateLimit });
    await audit(ctx, { action: 'inventory', resourceType: 'Inventory', resourceIds: [], outcome: 'allowed', details: { format: parsed.data.format, days: INVENTORY_DAYS, resources: inventory.resources.length } });
    return { inventory, format: parsed.data.format };
  });
}
