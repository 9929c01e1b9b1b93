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
  (parentTable: string, foreignKey: string, parentVisible: SqlFilter): SqlFilter =>
  (eb) =>
    eb.exists(
      eb
        .selectFrom(`${parentTable} as ${PARENT}`)
        .select(sql.lit(1).as('one'))
        .whereRef(`${PARENT}.id`, '=', foreignKey)
        .where(parentVisible),
    );
