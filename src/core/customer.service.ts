import { sql, type SqlBool } from 'kysely';
import * as customers from '../data/customer.repository.js';
import type { Customer } from '../data/customer.repository.js';
import type { Db } from '../data/database.js';
import { sqlFilterFor, type SqlFilter } from '../data/policy-sql.js';
import { AppError, notFound } from '../errors.js';
import { permittedFields, renderRecord, resourceOf, type RenderedRecord } from '../policy/field-access.js';
import { pageLimit, UUID } from './cursor.js';
import { compileListQuery, decodeListCursor, encodeListCursor, type ListQuery } from './customer-list-query.js';
import { parseCustomerInput, type CustomerInput } from './customer-input.js';
import { assertCan, audit, auditingDenials, mergeDecisions } from './guard.js';
import { enforceReadBudget } from './read-budget.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Customer';
export const READ_ACTIONS = ['read', 'read_masked'] as const;
const NOTHING: SqlFilter = () => sql<SqlBool>`false`;

/** The SQL form of "records this caller may see"; no rule at all means nothing. */
export const visibleFilter = (ctx: RequestContext) => sqlFilterFor(ctx.ability, READ_ACTIONS, TYPE) ?? NOTHING;

const render = (ctx: RequestContext, c: Customer) => renderRecord(ctx.ability, ctx.policy, TYPE, { ...c });

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
    await enforceReadBudget(ctx, { action: 'read', resourceIds: [id] }, [id]);
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
    const after = decodeListCursor(cursor, sort.field);
    const rows = await customers.listVisibleCustomers(ctx.db, { where: [visible, ...where], sort, after, limit: size + 1 });
    const page = rows.slice(0, size);
    const items = page.map((c) => render(ctx, c));
    const ids = page.map((c) => c.id);
    await enforceReadBudget(ctx, { action: 'list', resourceIds: [] }, ids);
    await audit(ctx, { action: 'list', resourceType: TYPE, resourceIds: ids, outcome: 'allowed', ...mergeDecisions(items.map((i) => i.access)) });
    const last = page[page.length - 1];
    const hasMore = rows.length > size && last !== undefined;
    return { items, nextCursor: hasMore ? encodeListCursor(sort.field, last[sort.field as keyof Customer], last.id) : null };
  });
}

export async function createCustomer(ctx: RequestContext, body: unknown): Promise<RenderedRecord> {
  return auditingDenials(ctx, { action: 'create', resourceType: TYPE, resourceIds: [] }, async () => {
    // The right to create comes first: a role without it learns nothing from validation.
    assertCan(ctx, 'create', TYPE);
    const input = parseCustomerInput(ctx.policy, body, 'create');
    assertWritable(ctx, 'create', { privacyLevel: 'standard', assignees: [], ...input }, input);
    return ctx.db.transaction().execute(async (trx) => {
      const created = await customers.insertCustomer(trx, input as CustomerInput & { fullName: string });
      return commitWrite(ctx, trx, 'create', created, input);
    });
  });
}

export async function updateCustomer(ctx: RequestContext, id: string, body: unknown): Promise<RenderedRecord> {
  return auditingDenials(ctx, { action: 'update', resourceType: TYPE, resourceIds: [id] }, () =>
    ctx.db.transaction().execute(async (trx) => {
      assertCan(ctx, 'update', TYPE);
      const input = parseCustomerInput(ctx.policy, body, 'update');
      const current = await lockVisible(ctx, trx, id);
      assertCan(ctx, 'update', TYPE, current);
      assertWritable(ctx, 'update', current, input);
      const updated = await customers.updateCustomer(trx, id, input);
      return commitWrite(ctx, trx, 'update', updated, input);
    }),
  );
}

export async function deleteCustomer(ctx: RequestContext, id: string): Promise<void> {
  await auditingDenials(ctx, { action: 'delete', resourceType: TYPE, resourceIds: [id] }, () =>
    ctx.db.transaction().execute(async (trx) => {
      const current = await lockVisible(ctx, trx, id);
      assertCan(ctx, 'delete', TYPE, current);
      await customers.deleteCustomer(trx, id);
      await audit(ctx, { action: 'delete', resourceType: TYPE, resourceIds: [id], outcome: 'allowed' }, trx);
    }),
  );
}

async function lockVisible(ctx: RequestContext, trx: Db, id: string): Promise<Customer> {
  const current = UUID.test(id) ? await customers.findVisibleCustomer(trx, id, visibleFilter(ctx), { forUpdate: true }) : undefined;
  if (!current) throw notFound(TYPE);
  return current;
}

/** 403 naming every sent field the caller's roles may not write on this record. */
function assertWritable(ctx: RequestContext, action: 'create' | 'update', record: object, input: CustomerInput): void {
  const allowed = new Set(permittedFields(ctx.ability, resourceOf(ctx.policy, TYPE), action, TYPE, record));
  const refused = Object.keys(input).filter((field) => !allowed.has(field));
  if (refused.length > 0) {
    throw new AppError('FIELD_NOT_WRITABLE', `Your roles may not ${action} these fields: ${refused.join(', ')}.`, { fields: refused });
  }
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
