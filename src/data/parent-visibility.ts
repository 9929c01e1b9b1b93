import { sql } from 'kysely';
import type { SqlFilter } from './policy-sql.js';

/**
 * A child record exists for a caller only where its parent does: EXISTS over the parent
 * table with the parent's visibility filter, which must be qualified with the alias
 * `parent` (sqlFilterFor(..., 'parent')). `foreignKey` is the child's qualified column,
 * e.g. `bookings.customerId`. Generic over tables: nothing here names a resource type.
 */
export const PARENT = 'parent';

export const existsVisibleParent =
  (parentTable: string, foreignKey: string, parentVisible: SqlFilter, parentIds?: readonly string[]): SqlFilter =>
  (eb) => {
    let parents = eb
      .selectFrom(`${parentTable} as ${PARENT}`)
      .select(sql.lit(1).as('one'))
      .whereRef(`${PARENT}.id`, '=', foreignKey)
      .where(parentVisible);
    // When the children are already restricted to some parents (a batch of nested lists),
    // saying so again changes no result, but PostgreSQL does not carry an `= any` across
    // the join: without it the planner hashes every visible parent row of the table.
    if (parentIds) parents = parents.where(`${PARENT}.id`, '=', eb.fn.any(eb.val([...parentIds])));
    return eb.exists(parents);
  };
