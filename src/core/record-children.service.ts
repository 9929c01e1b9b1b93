import { listChildrenOfParents, type ChildSlice } from '../data/record-children.repository.js';
import type { RecordValues } from '../data/record.repository.js';
import type { FieldModel, ResourceModel } from '../model/model.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { pageLimit } from './cursor.js';
import { assertCan, audit, auditingDenials, mergeDecisions } from './guard.js';
import { renderAs } from './record-access.js';
import { countReads, modelOf, visibleWhere, type RecordPage } from './record.service.js';
import type { RequestContext } from './request-context.js';

/** One parent's nested list in a batch: whose children, how many, from where. */
export interface ChildrenQuery {
  parentId: string;
  first?: number | null;
  after?: string | null;
}

/**
 * The page cursor of one parent's children: sealed for this list and this parent, so a
 * cursor of Mario's consultations cannot be replayed under Greta (INVALID_CURSOR).
 */
const listOf = (child: ResourceModel, field: FieldModel, parentId: string) => `${child.plural}:${field.name}=${parentId}:${child.id.name}:asc`;

/**
 * The children of `type` under many parents at once (every `Patient.consultations` of a
 * GraphQL response): each parent's first `first` (1..100, default 20) children the caller
 * may see, in id order, resumable with the page's cursor. One SQL statement for the whole
 * batch (a second only when one parent is asked for with two different cursors), counted
 * against the read budget and audited as one `list` event naming every record shown.
 * Visibility is the child's own (its rules and its parent chain's), as for any list.
 */
export async function listChildrenOf(ctx: RequestContext, type: string, queries: readonly ChildrenQuery[]): Promise<RecordPage[]> {
  const child = modelOf(ctx, type);
  return auditingDenials(ctx, { action: 'list', resourceType: child.name, resourceIds: [] }, async () => {
    assertCan(ctx, 'read', child.name);
    if (!child.parent) throw new Error(`${child.name} has no parent`);
    const field = child.fields.find((f) => f.name === child.parent!.field)!;
    const wanted = await Promise.all(
      queries.map(async (q) => {
        const after = await ctx.cursors.decode(listOf(child, field, q.parentId), q.after);
        return { parentId: q.parentId, size: pageLimit(q.first), afterId: after?.id ?? null };
      }),
    );
    const rowsOf = new Map<string, RecordValues[]>();
    const sliceKey = (s: ChildSlice) => JSON.stringify([s.parentId, s.afterId]);
    for (const round of rounds(wanted)) {
      const limit = Math.max(...round.map((s) => s.size)) + 1;
      const rows = await listChildrenOfParents(ctx.db, child, field, round, visibleWhere(ctx, child), limit);
      const byParent = new Map(round.map((s) => [s.parentId, [] as RecordValues[]]));
      for (const row of rows) byParent.get(String(row[field.name]))?.push(row);
      for (const s of round) rowsOf.set(sliceKey(s), byParent.get(s.parentId)!);
    }
    const idOf = (row: RecordValues) => String(row[child.id.name]);
    const pages = await Promise.all(
      wanted.map(async (w) => {
        const mine = rowsOf.get(sliceKey(w)) ?? [];
        const page = mine.slice(0, w.size);
        const last = page[page.length - 1];
        const more = mine.length > w.size && last !== undefined;
        return { rows: page, nextCursor: more ? await ctx.cursors.encode(listOf(child, field, w.parentId), w.parentId, idOf(last)) : null };
      }),
    );
    const shown = new Map(pages.flatMap((p) => p.rows).map((row) => [idOf(row), row]));
    const rendered = new Map<string, RenderedRecord>([...shown].map(([id, row]) => [id, renderAs(ctx, child.name, row)]));
    const ids = [...rendered.keys()];
    await countReads(ctx, child, 'list', ids);
    await audit(ctx, { action: 'list', resourceType: child.name, resourceIds: ids, outcome: 'allowed', ...mergeDecisions([...rendered.values()].map((r) => r.access)) });
    return pages.map((p) => ({ items: p.rows.map((row) => rendered.get(idOf(row))!), nextCursor: p.nextCursor }));
  });
}

/**
 * Splits the slices into statements where each parent appears once: one round, unless a
 * response asks for the same parent's children from two different positions.
 */
function rounds<S extends ChildSlice & { size: number }>(wanted: readonly S[]): S[][] {
  const result: Array<Map<string, S>> = [];
  for (const w of wanted) {
    let round = result.find((r) => !r.has(w.parentId) || r.get(w.parentId)!.afterId === w.afterId);
    if (!round) result.push((round = new Map()));
    const same = round.get(w.parentId);
    if (!same || w.size > same.size) round.set(w.parentId, w);
  }
  return result.map((r) => [...r.values()]);
}
