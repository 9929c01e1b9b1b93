import * as files from '../data/record-file.repository.js';
import * as records from '../data/record.repository.js';
import { RECORD, type RecordValues } from '../data/record.repository.js';
import { sqlFilterForResource, type SqlFilter } from '../data/policy-sql.js';
import { AppError, notFound } from '../errors.js';
import type { FieldModel, ResourceModel } from '../model/model.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { pageLimit } from './cursor.js';
import { assertCan, audit, auditingDenials, mergeDecisions } from './guard.js';
import { enforceReadBudget } from './read-budget.js';
import { compileRecordQuery, type RecordQuery } from './record-query.js';
import { parseRecordInput, withDefaults } from './record-input.js';
import { assertWritable, READ_ACTIONS, renderAs } from './record-access.js';
import type { RequestContext } from './request-context.js';
import { sql, type SqlBool } from 'kysely';

/**
 * Reads and writes of any stored resource of the model, decided and audited as the
 * policy says: the same steps the customer service takes, for a type named at run time.
 * Nothing here names a resource.
 */

const NOTHING: SqlFilter = () => sql<SqlBool>`false`;
/** A parent chain longer than this is refused at load; here it only bounds the aliases. */
const MAX_DEPTH = 8;

/** The stored resource `type`, or a 404 for a type the model does not store. */
export function modelOf(ctx: RequestContext, type: string): ResourceModel {
  const r = ctx.policy.model.resources.get(type);
  if (!r) throw notFound(type);
  return r;
}

/**
 * "Records of `r` the caller may see", as SQL over the alias `alias`: its own read rules,
 * and, for a resource with a parent, an EXISTS over the parent's table with the parent's
 * visibility (and so on up the chain): a consultation of a patient the caller may not
 * see does not exist for them. `parentIds` narrows a batch of children to their parents.
 */
export function visibleWhere(ctx: RequestContext, r: ResourceModel, alias = RECORD, depth = 0): SqlFilter[] {
  // A pure function of the (immutable) ability and the resource: built once per ability,
  // so the repository can compile each query once per filter list too.
  let memo = visibleMemos.get(ctx.ability);
  if (!memo) visibleMemos.set(ctx.ability, (memo = new Map()));
  const key = `${r.name}|${alias}|${depth}`;
  let where = memo.get(key);
  if (!where) memo.set(key, (where = buildVisibleWhere(ctx, r, alias, depth)));
  return where;
}

const visibleMemos = new WeakMap<object, Map<string, SqlFilter[]>>();

function buildVisibleWhere(ctx: RequestContext, r: ResourceModel, alias: string, depth: number): SqlFilter[] {
  const own = sqlFilterForResource(ctx.ability, READ_ACTIONS, r, alias) ?? NOTHING;
  // Deeper than any chain the loader lets through: fail closed rather than drop a level.
  if (depth >= MAX_DEPTH) return [NOTHING];
  if (!r.parent) return [own];
  const parent = modelOf(ctx, r.parent.resource);
  const foreignKey = r.fields.find((f) => f.name === r.parent!.field)!;
  const parentAlias = `p${depth + 1}`;
  const parentWhere = visibleWhere(ctx, parent, parentAlias, depth + 1);
  const exists: SqlFilter = (eb) =>
    eb.exists(
      parentWhere.reduce(
        (query, filter) => query.where(filter),
        eb
          .selectFrom(`${parent.table.schema}.${parent.table.name} as ${parentAlias}`)
          .select(sql.lit(1).as('one'))
          .where(sql.ref(`${parentAlias}.${parent.id.column}`), '=', sql.ref(`${alias}.${foreignKey.column}`)),
      ),
    );
  return [own, exists];
}

export interface RecordPage {
  items: RenderedRecord[];
  nextCursor: string | null;
}

/** Counts what a response shows against the caller's read budget for `r`. */
export const countReads = (ctx: RequestContext, r: ResourceModel, action: string, ids: string[]) =>
  enforceReadBudget(ctx, r.name, { action, resourceIds: action === 'list' || action === 'export' ? [] : ids }, ids);

/** One record, or 404 whether it does not exist or the caller may not see it. */
export async function getRecord(ctx: RequestContext, type: string, id: string): Promise<RenderedRecord> {
  const r = modelOf(ctx, type);
  return auditingDenials(ctx, { action: 'read', resourceType: r.name, resourceIds: [id] }, async () => {
    const found = await records.findVisibleRecord(ctx.db, r, id, visibleWhere(ctx, r));
    if (!found) throw notFound(r.name);
    const rendered = renderAs(ctx, r.name, found);
    await countReads(ctx, r, 'read', [idOf(r, found)]);
    await audit(ctx, { action: 'read', resourceType: r.name, resourceIds: [idOf(r, found)], outcome: 'allowed', ...mergeDecisions([rendered.access]) });
    return rendered;
  });
}

const idOf = (r: ResourceModel, record: RecordValues) => String(record[r.id.name]);

/** A page of the records the caller may see, in a stable order. */
export async function listRecords(ctx: RequestContext, type: string, limit?: number | null, cursor?: string | null, query: RecordQuery = {}): Promise<RecordPage> {
  const r = modelOf(ctx, type);
  return auditingDenials(ctx, { action: 'list', resourceType: r.name, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', r.name);
    const size = pageLimit(limit);
    const visible = visibleWhere(ctx, r);
    const { where, sort } = await compileRecordQuery(ctx, r, query, visible);
    const list = `${r.plural}:${sort.field.name}:${sort.descending ? 'desc' : 'asc'}`;
    const after = await ctx.cursors.decode(list, cursor);
    // Without the caller's filters the memoised visibility itself is the list: compiled once, prepared.
    const filtered = where.length > 0;
    const rows = await records.listVisibleRecords(ctx.db, r, { where: filtered ? [...visible, ...where] : visible, sort, after, limit: size + 1, prepare: !filtered });
    const page = rows.slice(0, size);
    const items = page.map((row) => renderAs(ctx, r.name, row));
    const ids = page.map((row) => idOf(r, row));
    await countReads(ctx, r, 'list', ids);
    await audit(ctx, { action: 'list', resourceType: r.name, resourceIds: ids, outcome: 'allowed', ...mergeDecisions(items.map((i) => i.access)) });
    const last = page[page.length - 1];
    const hasMore = rows.length > size && last !== undefined;
    return { items, nextCursor: hasMore ? await ctx.cursors.encode(list, last[sort.field.name], idOf(r, last)) : null };
  });
}

/**
 * Records of `type` by id, for many at once (a ref field's target): one statement,
 * rendered by the caller's rules for that type, counted and audited as one read. Ids the
 * caller may not see are simply absent.
 */
export async function readRecordsByIds(ctx: RequestContext, type: string, ids: readonly string[]): Promise<Map<string, RenderedRecord>> {
  const r = modelOf(ctx, type);
  const unique = [...new Set(ids)];
  const found = await records.findVisibleRecords(ctx.db, r, unique, visibleWhere(ctx, r));
  if (found.length === 0) return new Map();
  const rendered = found.map((row) => [idOf(r, row), renderAs(ctx, r.name, row)] as const);
  const seen = rendered.map(([id]) => id);
  await countReads(ctx, r, 'read', seen);
  await audit(ctx, { action: 'read', resourceType: r.name, resourceIds: seen, outcome: 'allowed', ...mergeDecisions(rendered.map(([, x]) => x.access)) });
  return new Map(rendered);
}

/** Every ref a write names must point at a record the caller can see: 404 otherwise, as for a read. */
async function assertRefsVisible(ctx: RequestContext, r: ResourceModel, input: RecordValues, db = ctx.db): Promise<void> {
  for (const field of r.fields) {
    const value = input[field.name];
    if (field.type !== 'ref' || typeof value !== 'string') continue;
    const target = modelOf(ctx, field.ref!);
    if (!(await records.findVisibleRecord(db, target, value, visibleWhere(ctx, target)))) throw notFound(target.name);
  }
}

export async function createRecord(ctx: RequestContext, type: string, body: unknown): Promise<RenderedRecord> {
  const r = modelOf(ctx, type);
  return auditingDenials(ctx, { action: 'create', resourceType: r.name, resourceIds: [] }, async () => {
    // The right to create comes first: a role without it learns nothing from validation.
    assertCan(ctx, 'create', r.name);
    const input = parseRecordInput(ctx.policy, r, body, 'create');
    const values = withDefaults(r, input, ctx.principal.sub);
    // A conditional create rule (a cardiologist files cardiology documents) holds on the
    // record as it will be stored, whatever fields the body happened to send.
    assertCan(ctx, 'create', r.name, values);
    assertWritable(ctx, r.name, 'create', values, input);
    return ctx.db.transaction().execute(async (trx) => {
      await assertRefsVisible(ctx, r, input, trx);
      const created = await records.insertRecord(trx, r, values);
      return commitWrite(ctx, trx, r, 'create', created, input);
    });
  });
}

/**
 * Updates a record and answers with it rendered: that answer counts against the read
 * budget, checked before anything is written (a refused update uses no budget).
 */
export async function updateRecord(ctx: RequestContext, type: string, id: string, body: unknown): Promise<RenderedRecord> {
  const r = modelOf(ctx, type);
  return auditingDenials(ctx, { action: 'update', resourceType: r.name, resourceIds: [id] }, async () => {
    assertCan(ctx, 'update', r.name);
    const input = parseRecordInput(ctx.policy, r, body, 'update');
    const visible = await records.findVisibleRecord(ctx.db, r, id, visibleWhere(ctx, r));
    if (visible) {
      // Every refusal comes before the budget is counted: a refused update shows nothing.
      assertCan(ctx, 'update', r.name, visible);
      assertWritable(ctx, r.name, 'update', visible, input);
      assertCan(ctx, 'update', r.name, { ...visible, ...input });
      await assertRefsVisible(ctx, r, input);
      await countReads(ctx, r, 'update', [idOf(r, visible)]);
    }
    return ctx.db.transaction().execute(async (trx) => {
      const current = await records.findVisibleRecord(trx, r, id, visibleWhere(ctx, r), { forUpdate: true });
      if (!current) throw notFound(r.name);
      assertCan(ctx, 'update', r.name, current);
      assertWritable(ctx, r.name, 'update', current, input);
      // The record after the write must still be one the rules let this caller write.
      assertCan(ctx, 'update', r.name, { ...current, ...input });
      await assertRefsVisible(ctx, r, input, trx);
      const updated = await records.updateRecord(trx, r, idOf(r, current), input);
      return commitWrite(ctx, trx, r, 'update', updated, input);
    });
  });
}

/**
 * Deletes a record the caller may see and delete. A record with children is refused
 * rather than taking them with it unseen: each child is deleted, and audited, on its own
 * first. Children the caller sees are named (409 HAS_CHILDREN); children it does not see
 * are not: the answer is a plain 403, so the refusal says nothing of what they are.
 */
export async function deleteRecord(ctx: RequestContext, type: string, id: string): Promise<void> {
  const r = modelOf(ctx, type);
  await auditingDenials(ctx, { action: 'delete', resourceType: r.name, resourceIds: [id] }, async () => {
    assertCan(ctx, 'delete', r.name);
    await ctx.db.transaction().execute(async (trx) => {
      const current = await records.findVisibleRecord(trx, r, id, visibleWhere(ctx, r), { forUpdate: true });
      if (!current) throw notFound(r.name);
      assertCan(ctx, 'delete', r.name, current);
      const key = idOf(r, current);
      await assertNoChildren(ctx, trx, r, key);
      // Its bytes go with it (the chunk table cascades); what record_files knew, here.
      if (r.file) await files.removeFile(trx, r, key);
      await deleteOrRefuse(trx, r, key);
      await audit(ctx, { action: 'delete', resourceType: r.name, resourceIds: [key], outcome: 'allowed' }, trx);
    });
  });
}

/**
 * Refuses a delete while records of a child resource point at this one: 409 naming the
 * child resources the caller sees such records of, else 403 without a name when only
 * records it may not see remain.
 */
export async function assertNoChildren(ctx: RequestContext, trx: RequestContext['db'], r: ResourceModel, key: string, children = childrenOf(ctx, r)): Promise<void> {
  const seen: ResourceModel[] = [];
  let hidden = false;
  for (const [child, field] of children) {
    if (await records.hasChildren(trx, child, field, key, visibleWhere(ctx, child))) seen.push(child);
    else if (await records.hasChildren(trx, child, field, key)) hidden = true;
  }
  if (seen.length > 0) {
    throw new AppError('HAS_CHILDREN', `This ${r.name} still has ${seen.map((c) => c.plural).join(' and ')}; delete them first.`, { resources: seen.map((c) => c.name) });
  }
  if (hidden) throw new AppError('FORBIDDEN', `Your roles may not delete this ${r.name}.`);
}

/**
 * Deletes the row; a record another resource still refers to (a ref that is not a parent,
 * so no cascade) is refused like a hidden child rather than failing as a 500.
 */
async function deleteOrRefuse(trx: RequestContext['db'], r: ResourceModel, key: string): Promise<void> {
  try {
    await records.deleteRecord(trx, r, key);
  } catch (err) {
    if ((err as { code?: string }).code === '23503') throw new AppError('FORBIDDEN', `Your roles may not delete this ${r.name}: other records refer to it.`);
    throw err;
  }
}

/** The resources whose parent is `r`, with the field pointing at it. */
export function childrenOf(ctx: RequestContext, r: ResourceModel): Array<[ResourceModel, FieldModel]> {
  return [...ctx.policy.model.resources.values()]
    .filter((c) => c.parent?.resource === r.name)
    .map((c) => [c, c.fields.find((f) => f.name === c.parent!.field)!] as [ResourceModel, FieldModel]);
}

/** The write and its audit row commit together, or neither does. */
async function commitWrite(ctx: RequestContext, trx: RequestContext['db'], r: ResourceModel, action: string, saved: RecordValues, input: RecordValues) {
  const rendered = renderAs(ctx, r.name, saved);
  await audit(
    ctx,
    { action, resourceType: r.name, resourceIds: [idOf(r, saved)], outcome: 'allowed', fieldsWritten: Object.keys(input), ...mergeDecisions([rendered.access]) },
    trx,
  );
  return rendered;
}
