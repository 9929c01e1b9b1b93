import { sql, type Kysely, type SqlBool } from 'kysely';
import type { FieldModel, ResourceModel } from '../model/model.js';
import type { Db } from './database.js';
import type { SqlFilter } from './policy-sql.js';
import { RECORD, selection, toRecord, type RecordValues } from './record.repository.js';

/** One parent's slice of a batch: its id and, when resuming, the id of the last child already shown. */
export interface ChildSlice {
  parentId: string;
  afterId: string | null;
}

const POSITION = '__position';

/**
 * The children of many parents at once, in one statement: every row of `child` the
 * filters let through whose `field` names one of the parents (past `afterId` for a
 * resumed one), numbered per parent in id order (`row_number() over (partition by
 * parent order by id)`), and at most `limit` of each. Each parent appears at most once
 * in `slices` (the caller splits a batch naming one parent with two cursors). Rows come
 * back ordered by parent, then id (as the key column orders); the parent field is text, as every ref is read.
 */
export async function listChildrenOfParents(db: Db, child: ResourceModel, field: FieldModel, slices: readonly ChildSlice[], where: readonly SqlFilter[], limit: number): Promise<RecordValues[]> {
  if (slices.length === 0) return [];
  const raw = db.withoutPlugins() as unknown as Kysely<any>;
  const parent = sql.ref(`${RECORD}.${field.column}`);
  const key = sql.ref(`${RECORD}.${child.id.column}`);
  const fresh = slices.filter((s) => s.afterId === null).map((s) => s.parentId);
  const resumed = slices.filter((s) => s.afterId !== null);
  let ranked = raw
    .selectFrom(`${child.table.schema}.${child.table.name} as ${RECORD}`)
    .select([...selection(child), sql<number>`row_number() over (partition by ${parent} order by ${key})`.as(POSITION)]);
  for (const filter of where) ranked = ranked.where(filter);
  ranked = ranked.where((eb) =>
    eb.or([
      ...(fresh.length > 0 ? [sql<SqlBool>`${parent} = any(${fresh})`] : []),
      // The cursor's id is compared as the key column's own type (the parameter takes it).
      ...resumed.map((s) => sql<SqlBool>`(${parent} = ${s.parentId} and ${key} > ${s.afterId})`),
    ]),
  );
  const rows = await raw
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where(sql.ref(`ranked.${POSITION}`), '<=', limit)
    .orderBy(sql.ref(`ranked.${field.name}`))
    .orderBy(sql.ref(`ranked.${POSITION}`))
    .execute();
  return rows.map((row) => toRecord(child, row as Record<string, unknown>));
}
