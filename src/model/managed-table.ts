import type { CatalogColumn, CatalogTable } from './catalog.js';
import { columnSql, conditionIndexFields, conditionIndexStep, createChunkTableSteps, createSchemaSteps, createTableSteps, foreignKeyStep, referencesSql, refIndexStep, refType, type PlanContext } from './managed-ddl.js';
import { qualifiedName, type FieldModel, type ResourceModel } from './model.js';
import { COLUMN_TYPES, defaultSql, enumCheckSql, enumCheckValues, sameDefault } from './sql-text.js';

/**
 * Brings one managed table to its resource: creates what is missing, widens what is too
 * narrow (a NOT NULL the model dropped, an enum CHECK missing new values), and reports
 * as drift whatever would need dropping or narrowing.
 */
export function planManagedTable(r: ResourceModel, ctx: PlanContext): void {
  const { plan, catalog } = ctx;
  if (!ctx.schemas.has(r.table.schema)) {
    plan.steps.push(...createSchemaSteps(r, ctx));
    ctx.schemas.add(r.table.schema);
  }
  const table = catalog.tables.get(qualifiedName(r.table));
  if (!table) plan.steps.push(...createTableSteps(r, ctx));
  else compareTable(r, table, ctx);
  if (r.file && !catalog.tables.has(qualifiedName(r.file.chunks.table))) plan.steps.push(...createChunkTableSteps(r, r.file.chunks, ctx));
}

function compareTable(r: ResourceModel, table: CatalogTable, ctx: PlanContext): void {
  const { sql, plan } = ctx;
  const alter = `ALTER TABLE ${sql.table(r.table)}`;
  const drift = (summary: string, statement: string) => plan.drift.push({ resource: r.name, summary, sql: statement });
  const step = (summary: string, statement: string) => plan.steps.push({ resource: r.name, summary, sql: statement });
  const columns = r.fields.filter((f) => f.column !== null);
  for (const field of columns) {
    const column = table.columns.get(field.column!);
    const col = sql.id(field.column!);
    if (column) compareColumn(r, field, column, table, ctx);
    else if (field.type === 'id') drift(`${field.column} (the id) is missing`, `${alter} ADD COLUMN ${columnSql(r, field, ctx)}`);
    else {
      step(`add ${field.name}`, `${alter} ADD COLUMN ${columnSql(r, field, ctx, true)}`);
      // Existing rows have no value: the person fills them in before requiring one.
      if (!field.nullable && !defaultSql(field)) drift(`${field.name} is required: fill it in on existing rows, then`, `${alter} ALTER COLUMN ${col} SET NOT NULL`);
      if (field.type === 'ref') step(`index ${field.name} (a ref)`, refIndexStep(r, field, ctx).sql);
    }
  }
  // A column added above gets its index with it; an existing one where no index starts with it.
  for (const field of conditionIndexFields(r, ctx.model)) {
    if (!table.indexes.some((cols) => cols[0] === field.column)) step(`index ${field.name} (rules test it)`, conditionIndexStep(r, field, ctx).sql);
  }
  const modelled = new Set(columns.map((f) => f.column));
  for (const [name, column] of table.columns) {
    if (modelled.has(name)) continue;
    const blocking = column.notNull && column.default === null && !column.identity ? ' (NOT NULL without a default: creating records fails until it is dropped or given a default)' : '';
    drift(`column ${name} is not in the model${blocking}`, `${alter} DROP COLUMN ${sql.id(name)}`);
  }
}

function compareColumn(r: ResourceModel, field: FieldModel, column: CatalogColumn, table: CatalogTable, ctx: PlanContext): void {
  const { sql, plan } = ctx;
  const alter = `ALTER TABLE ${sql.table(r.table)}`;
  const col = sql.id(field.column!);
  const drift = (summary: string, statement: string) => plan.drift.push({ resource: r.name, summary, sql: statement });
  const step = (summary: string, statement: string) => plan.steps.push({ resource: r.name, summary, sql: statement });
  const type = field.type === 'ref' ? refType(field, ctx) : COLUMN_TYPES[field.type as keyof typeof COLUMN_TYPES];
  if (column.type !== type.catalog) {
    drift(`${field.column} is ${column.type}, the model says ${field.type} (${type.catalog})`, `${alter} ALTER COLUMN ${col} TYPE ${type.ddl} USING ${col}::${type.ddl}`);
    return;
  }
  if (field.type === 'id') {
    const pk = table.primaryKey?.join(', ');
    if (pk !== field.column) drift(`the primary key is ${pk ? `(${pk})` : 'missing'}, the model says (${field.column})`, `${alter} ADD PRIMARY KEY (${col})`);
  } else if (!field.nullable && !column.notNull) drift(`${field.name} may hold null, the model says it never does`, `${alter} ALTER COLUMN ${col} SET NOT NULL`);
  else if (field.nullable && column.notNull) step(`let ${field.name} be empty`, `${alter} ALTER COLUMN ${col} DROP NOT NULL`);
  if (!sameDefault(column.default, field)) {
    const wanted = defaultSql(field);
    if (wanted) step(`default ${field.name} to ${wanted}`, `${alter} ALTER COLUMN ${col} SET DEFAULT ${wanted}`);
    else drift(`${field.column} has a default (${column.default}) the model does not give`, `${alter} ALTER COLUMN ${col} DROP DEFAULT`);
  }
  compareEnumCheck(r, field, table, ctx);
  if (field.type !== 'ref') return;
  const references = referencesSql(r, field, ctx);
  const fk = table.foreignKeys.find((k) => k.columns.length === 1 && k.columns[0] === field.column);
  const target = ctx.model.resources.get(field.ref!)!;
  const cascade = r.parent?.field === field.name;
  if (references && !fk) drift(`${field.column} does not reference ${qualifiedName(target.table)}`, foreignKeyStep(r, field, ctx, references).sql);
  else if (references && fk && (fk.references !== qualifiedName(target.table) || (fk.onDelete === 'c') !== cascade)) {
    drift(`${fk.name} should reference ${qualifiedName(target.table)}${cascade ? ' ON DELETE CASCADE' : ''}`, `${alter} DROP CONSTRAINT ${sql.id(fk.name)}, ADD CONSTRAINT ${sql.id(fk.name)} FOREIGN KEY (${col}) ${references}`);
  }
  if (!table.indexes.some((columns) => columns[0] === field.column)) plan.steps.push(refIndexStep(r, field, ctx));
}

/** Adding enum values widens the CHECK (safe); values the model dropped are drift. */
function compareEnumCheck(r: ResourceModel, field: FieldModel, table: CatalogTable, ctx: PlanContext): void {
  const { sql, plan } = ctx;
  const alter = `ALTER TABLE ${sql.table(r.table)}`;
  const column = field.column!;
  const check = table.checks.map((c) => ({ ...c, values: enumCheckValues(c.definition, column) })).find((c) => c.columns.length === 1 && c.columns[0] === column && c.values);
  const replace = (name: string, values: readonly string[]) => `${alter} DROP CONSTRAINT ${sql.id(name)}, ADD CONSTRAINT ${sql.id(name)} ${enumCheckSql(sql, column, values)}`;
  if (field.type !== 'enum') {
    if (check) plan.drift.push({ resource: r.name, summary: `${check.name} still limits ${column} to ${check.values!.join(', ')}`, sql: `${alter} DROP CONSTRAINT ${sql.id(check.name)}` });
    return;
  }
  const wanted = field.values!;
  if (!check) {
    const name = `${r.table.name}_${column}_check`;
    plan.drift.push({ resource: r.name, summary: `nothing limits ${column} to ${wanted.join(', ')}`, sql: `${alter} ADD CONSTRAINT ${sql.id(name)} ${enumCheckSql(sql, column, wanted)}` });
    return;
  }
  const current = check.values!;
  const added = wanted.filter((v) => !current.includes(v));
  const dropped = current.filter((v) => !wanted.includes(v));
  if (added.length > 0) {
    // Rows may still hold the dropped values: they stay allowed until a person decides.
    plan.steps.push({ resource: r.name, summary: `allow ${field.name} ${added.join(', ')}`, sql: replace(check.name, [...wanted, ...dropped]) });
  }
  if (dropped.length > 0) {
    plan.drift.push({ resource: r.name, summary: `${field.name}: ${dropped.join(', ')} no longer among the model's values (rows may still hold them)`, sql: replace(check.name, wanted) });
  }
}
