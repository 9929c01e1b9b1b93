import * as customers from '../data/customer.repository.js';
import type { Customer } from '../data/customer.repository.js';
import type { Db } from '../data/database.js';
import { notFound } from '../errors.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { pageLimit, UUID } from './cursor.js';
import { compileListQuery, type ListQuery } from './customer-list-query.js';
import { parseCustomerInput, type CustomerInput } from './customer-input.js';
import { assertCan, audit, auditingDenials, mergeDecisions } from './guard.js';
import { enforceReadBudget } from './read-budget.js';
import { assertWritable, renderAs, visibleFilterFor } from './record-access.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Customer';

/** The SQL form of "customers this caller may see". */
export const visibleFilter = (ctx: RequestContext, table?: string) => visibleFilterFor(ctx, TYPE, table);

const render = (ctx: RequestContext, c: Customer) => renderAs(ctx, TYPE, c);

export interface CustomerPage {
  items: RenderedRecord[];
  nextCursor: string | null;
}

/** One customer, or 404 whether it does not exist or the caller may not see it. */
export async function getCustomer(ctx: RequestContext, id: string): Promise<RenderedRecord> {
  return auditingDenials(ctx, { action: 'read', resourceType: TYPE, resourceIds: [id] }, async () => {
    // Every id takes the same path; an id that is not a UUID simply matches nothing.
    const customer = UUID.test(id) ? await customers.findVisibleCustomer(ctx.db, id, visibleFilter(ctx)) : undefined;
    if (!customer) throw notFound(TYPE);
    const rendered = render(ctx, customer);
    await enforceReadBudget(ctx, TYPE, { action: 'read', resourceIds: [id] }, [id]);
    await audit(ctx, { action: 'read', resourceType: TYPE, resourceIds: [id], outcome: 'allowed', ...mergeDecisions([rendered.access]) });
    return rendered;
  });
}

/** A page of the customers the caller may see, in stable id order. */
export async function listCustomers(
  ctx: RequestContext,
  limit?: number | null,
  cursor?: string | null,
  query: ListQuery = {},
): Promise<CustomerPage> {
  return auditingDenials(ctx, { action: 'list', resourceType: TYPE, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', TYPE);
    const size = pageLimit(limit);
    const visible = visibleFilter(ctx);
    const { where, sort } = await compileListQuery(ctx, query, visible);
    // The cursor is valid only for the order it was issued for.
    const list = `customers:${sort.field}:${sort.descending ? 'desc' : 'asc'}`;
    const after = await ctx.cursors.decode(list, cursor);
    const rows = await customers.listVisibleCustomers(ctx.db, { where: [visible, ...where], sort, after, limit: size + 1 });
    const page = rows.slice(0, size);
    const items = page.map((c) => render(ctx, c));
    const ids = page.map((c) => c.id);
    await enforceReadBudget(ctx, TYPE, { action: 'list', resourceIds: [] }, ids);
    await audit(ctx, { action: 'list', resourceType: TYPE, resourceIds: ids, outcome: 'allowed', ...mergeDecisions(items.map((i) => i.access)) });
    const last = page[page.length - 1];
    const hasMore = rows.length > size && last !== undefined;
    return { items, nextCursor: hasMore ? await ctx.cursors.encode(list, last[sort.field as keyof Customer], last.id) : null };
  });
}

export async function createCustomer(ctx: RequestContext, body: unknown): Promise<RenderedRecord> {
  return auditingDenials(ctx, { action: 'create', resourceType: TYPE, resourceIds: [] }, async () => {
    // The right to create comes first: a role without it learns nothing from validation.
    assertCan(ctx, 'create', TYPE);
    const input = parseCustomerInput(ctx.policy, body, 'create');
    assertWritable(ctx, TYPE, 'create', { privacyLevel: 'standard', assignees: [], ...input }, input);
    return ctx.db.transaction().execute(async (trx) => {
      const created = await customers.insertCustomer(trx, input as CustomerInput & { fullName: string });
      return commitWrite(ctx, trx, 'create', created, input);
    });
  });
}

/**
 * Updates a customer and answers with it rendered. That answer shows the record, so it
 * counts against the read budget like a read, checked before anything is written: over
 * a blocking budget the update is refused (429) and nothing changes.
 */
export async function updateCustomer(ctx: RequestContext, id: string, body: unknown): Promise<RenderedRecord> {
  return auditingDenials(ctx, { action: 'update', resourceType: TYPE, resourceIds: [id] }, async () => {
    assertCan(ctx, 'update', TYPE);
    const input = parseCustomerInput(ctx.policy, body, 'update');
    // Only a customer the caller can see is counted: a hidden one answers 404 below,
    // never 429, which would tell that it exists.
    const visible = UUID.test(id) ? await customers.findVisibleCustomer(ctx.db, id, visibleFilter(ctx)) : undefined;
    if (visible) {
      // A refused update shows nothing, so it must not use up budget: refuse it first.
      assertCan(ctx, 'update', TYPE, visible);
      assertWritable(ctx, TYPE, 'update', visible, input);
      await enforceReadBudget(ctx, TYPE, { action: 'update', resourceIds: [id] }, [visible.id]);
    }
    return ctx.db.transaction().execute(async (trx) => {
      const current = await lockVisibleCustomer(ctx, trx, id);
      assertCan(ctx, 'update', TYPE, current);
      assertWritable(ctx, TYPE, 'update', current, input);
      const updated = await customers.updateCustomer(trx, id, input);
      return commitWrite(ctx, trx, 'update', updated, input);
    });
  });
}

/** The customer, locked for a write, or 404 when it does not exist for the caller. */
export async function lockVisibleCustomer(ctx: RequestContext, trx: Db, id: string): Promise<Customer> {
  const current = UUID.test(id) ? await customers.findVisibleCustomer(trx, id, visibleFilter(ctx), { forUpdate: true }) : undefined;
  if (!current) throw notFound(TYPE);
  return current;
}

/** The write and its audit row commit together, or neither does. */
async function commitWrite(ctx: RequestContext, trx: Db, action: string, saved: Customer, input: CustomerInput) {
  const rendered = render(ctx, saved);
  await audit(ctx, {
    action,
    resourceType: TYPE,
    resourceIds: [saved.id],
    outcome: 'allowed',
    fieldsWritten: Object.keys(input),
    ...mergeDecisions([rendered.access]),
  }, trx);
  return rendered;
}

/**
 * Customers embedded in another resource (a booking's customer), for many records at
 * once: one statement, rendered with the caller's field rules, counted against the read
 * budget and audited as one `read` event. Ids the caller may not see are simply absent.
 */
export async function readCustomersByIds(ctx: RequestContext, ids: string[]): Promise<Map<string, RenderedRecord>> {
  const unique = [...new Set(ids)].filter((id) => UUID.test(id));
  const found = await customers.findVisibleCustomers(ctx.db, unique, visibleFilter(ctx));
  if (found.length === 0) return new Map();
  const rendered = found.map((c) => [c.id, render(ctx, c)] as const);
  const seen = found.map((c) => c.id);
  await enforceReadBudget(ctx, TYPE, { action: 'read', resourceIds: seen }, seen);
  await audit(ctx, { action: 'read', resourceType: TYPE, resourceIds: seen, outcome: 'allowed', ...mergeDecisions(rendered.map(([, r]) => r.access)) });
  return new Map(rendered);
}
