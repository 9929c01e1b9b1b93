import type { Catalog, CatalogColumn } from './catalog.js';
import { qualifiedName, type FieldType, type ResourceModel } from './model.js';
import type { AdoptedProblem } from './schema-plan.js';

const TEXT = /^(text|character varying(\(\d+\))?|character(\(\d+\))?|citext)$/;
const KEY = /^(uuid|smallint|integer|bigint|text|character varying(\(\d+\))?)$/;

/** The column types each field type can read and write without losing anything it holds. */
const COMPATIBLE: Record<Exclude<FieldType, 'file'>, (c: CatalogColumn) => boolean> = {
  id: (c) => KEY.test(c.type),
  ref: (c) => KEY.test(c.type),
  string: (c) => TEXT.test(c.type),
  text: (c) => TEXT.test(c.type),
  integer: (c) => /^(smallint|integer|bigint)$/.test(c.type),
  decimal: (c) => /^(numeric(\(\d+,\d+\))?|real|double precision|smallint|integer|bigint)$/.test(c.type),
  boolean: (c) => c.type === 'boolean',
  date: (c) => c.type === 'date',
  timestamp: (c) => /^timestamp(\(\d\))? with(out)? time zone$/.test(c.type),
  // A text column, or a PostgreSQL enum type.
  enum: (c) => TEXT.test(c.type) || c.typeKind === 'e',
  'string[]': (c) => /^(text|character varying(\(\d+\))?)\[\]$/.test(c.type),
};

/**
 * Whether an existing table can serve its resource as declared: it exists, has a primary
 * key on the id field's column, and a column of a compatible type for every field.
 * Read-only by construction: it plans nothing, so an adopted table is never altered.
 */
export function checkAdoptedTable(r: ResourceModel, catalog: Catalog): AdoptedProblem[] {
  const name = qualifiedName(r.table);
  const problem = (summary: string): AdoptedProblem => ({ resource: r.name, summary });
  const table = catalog.tables.get(name);
  if (!table) return [problem(`table ${name} does not exist`)];
  if (table.kind !== 'r' && table.kind !== 'p') return [problem(`${name} is not a table (pg_class.relkind ${table.kind})`)];
  const problems: AdoptedProblem[] = [];
  const pk = table.primaryKey?.join(', ');
  if (!pk) problems.push(problem(`${name} has no primary key`));
  else if (pk !== r.id.column) problems.push(problem(`${name}'s primary key is (${pk}), not ${r.id.name}'s column ${r.id.column}`));
  for (const field of r.fields) {
    if (field.column === null) continue;
    const column = table.columns.get(field.column);
    if (!column) problems.push(problem(`${name} has no column ${field.column} (field ${field.name})`));
    else if (!COMPATIBLE[field.type as keyof typeof COMPATIBLE](column)) {
      problems.push(problem(`${name}.${field.column} is ${column.type}, which cannot hold ${field.name} (${field.type})`));
    } else if (field.type === 'id' && column.default === null && !column.identity) {
      // New records get their id from the database, as on managed tables.
      problems.push(problem(`${name}.${field.column} has no default and is no identity: the database must make new ids`));
    }
  }
  return problems;
}
