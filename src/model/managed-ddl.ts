import type { Catalog } from './catalog.js';
import { qualifiedName, type FieldModel, type Model, type ResourceModel, type TableName } from './model.js';
import type { PlanStep, SchemaPlan } from './schema-plan.js';
import { COLUMN_TYPES, defaultSql, enumCheckSql, type SqlText } from './sql-text.js';

/** What planning one managed table needs to know of the others and of the plan so far. */
export interface PlanContext {
  model: Model;
  catalog: Catalog;
  sql: SqlText;
  plan: SchemaPlan;
  /** Tables that exist, or that an earlier step creates: a foreign key may point at them. */
  ready: Set<string>;
  schemas: Set<string>;
  /** Foreign keys to tables not created yet (a cycle of refs), added after every table. */
  deferred: PlanStep[];
}

/** The column type a ref holds: the target's id type (an adopted table's may not be uuid). */
export function refType(field: FieldModel, ctx: PlanContext): { ddl: string; catalog: string } {
  const target = ctx.model.resources.get(field.ref!)!;
  const adopted = target.adopt ? ctx.catalog.tables.get(qualifiedName(target.table))?.columns.get(target.id.column!) : undefined;
  return adopted ? { ddl: adopted.type, catalog: adopted.type } : COLUMN_TYPES.ref;
}

/**
 * `REFERENCES target (id)`, with ON DELETE CASCADE for the parent field: children go with
 * their parent, as bookings with their customer. None to an adopted table: a foreign key
 * adds triggers to the table it points at, and an adopted table is never altered.
 */
export function referencesSql(r: ResourceModel, field: FieldModel, ctx: PlanContext): string | undefined {
  const target = ctx.model.resources.get(field.ref!)!;
  if (target.adopt) return undefined;
  const cascade = r.parent?.field === field.name ? ' ON DELETE CASCADE' : '';
  return `REFERENCES ${ctx.sql.table(target.table)} (${ctx.sql.id(target.id.column!)})${cascade}`;
}

/** A column definition; `added` leaves out NOT NULL where existing rows would have no value. */
export function columnSql(r: ResourceModel, field: FieldModel, ctx: PlanContext, added = false): string {
  const { sql } = ctx;
  const column = field.column!;
  const parts = [sql.id(column), field.type === 'ref' ? refType(field, ctx).ddl : COLUMN_TYPES[field.type as keyof typeof COLUMN_TYPES].ddl];
  const fallback = defaultSql(field);
  if (field.type === 'id') parts.push('PRIMARY KEY');
  else if (!field.nullable && (!added || fallback)) parts.push('NOT NULL');
  if (fallback) parts.push(`DEFAULT ${fallback}`);
  if (field.type === 'enum') parts.push(enumCheckSql(sql, column, field.values!));
  if (field.type === 'ref') {
    const target = ctx.model.resources.get(field.ref!)!;
    const references = referencesSql(r, field, ctx);
    if (references && (ctx.ready.has(qualifiedName(target.table)) || target === r)) parts.push(references);
    else if (references) ctx.deferred.push(foreignKeyStep(r, field, ctx, references));
  }
  return parts.join(' ');
}

export function foreignKeyStep(r: ResourceModel, field: FieldModel, ctx: PlanContext, references: string): PlanStep {
  const { sql } = ctx;
  return {
    resource: r.name,
    summary: `reference ${field.ref} from ${field.name}`,
    sql: `ALTER TABLE ${sql.table(r.table)} ADD CONSTRAINT ${sql.id(`${r.table.name}_${field.column}_fkey`)} FOREIGN KEY (${sql.id(field.column!)}) ${references}`,
  };
}

/** Lists by parent (a customer's bookings) look rows up by the ref column. */
export const refIndexStep = (r: ResourceModel, field: FieldModel, ctx: PlanContext): PlanStep => ({
  resource: r.name,
  summary: `index ${field.name} (a ref)`,
  sql: `CREATE INDEX ${ctx.sql.id(`${r.table.name}_${field.column}_idx`)} ON ${ctx.sql.table(r.table)} (${ctx.sql.id(field.column!)})`,
});

/**
 * The fields rules test in conditions: every read and list filters on them in SQL, so each
 * gets an index (a `string[]` a GIN one, for `contains`). Not the id (the primary key) nor a
 * ref (indexed as a ref).
 */
export function conditionIndexFields(r: ResourceModel, model: Model): FieldModel[] {
  const names = new Set(model.conditionFields?.get(r.name) ?? []);
  return r.fields.filter((f) => names.has(f.name) && f.column !== null && f.type !== 'id' && f.type !== 'ref');
}

export const conditionIndexStep = (r: ResourceModel, field: FieldModel, ctx: PlanContext): PlanStep => ({
  resource: r.name,
  summary: `index ${field.name} (rules test it)`,
  sql: `CREATE INDEX ${ctx.sql.id(`${r.table.name}_${field.column}_idx`)} ON ${ctx.sql.table(r.table)}${field.type === 'string[]' ? ' USING gin' : ''} (${ctx.sql.id(field.column!)})`,
});

/** The service may run as fieldguard_app (see migrations): it needs rights on new tables. */
const grantSql = (rights: string) =>
  `DO $$ BEGIN\n  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fieldguard_app') THEN\n    GRANT ${rights} TO fieldguard_app;\n  END IF;\nEND $$`;

export function createSchemaSteps(r: ResourceModel, ctx: PlanContext): PlanStep[] {
  const schema = ctx.sql.id(r.table.schema);
  return [
    { resource: r.name, summary: `create schema ${r.table.schema}`, sql: `CREATE SCHEMA IF NOT EXISTS ${schema}` },
    { resource: r.name, summary: `let the service role use schema ${r.table.schema}`, sql: grantSql(`USAGE ON SCHEMA ${schema}`) },
  ];
}

export function createTableSteps(r: ResourceModel, ctx: PlanContext): PlanStep[] {
  const table = ctx.sql.table(r.table);
  ctx.ready.add(qualifiedName(r.table));
  const columns = r.fields.filter((f) => f.column !== null).map((f) => `  ${columnSql(r, f, ctx)}`);
  return [
    { resource: r.name, summary: `create table ${qualifiedName(r.table)}`, sql: `CREATE TABLE ${table} (\n${columns.join(',\n')}\n)` },
    ...r.fields.filter((f) => f.type === 'ref').map((f) => refIndexStep(r, f, ctx)),
    ...conditionIndexFields(r, ctx.model).map((f) => conditionIndexStep(r, f, ctx)),
    { resource: r.name, summary: `let the service role use ${qualifiedName(r.table)}`, sql: grantSql(`SELECT, INSERT, UPDATE, DELETE ON ${table}`) },
  ];
}

/**
 * The bytes of a `file` field, in numbered chunks of their own (as document_chunks): an
 * insert per chunk writes each byte once, where appending to one growing bytea rewrote it.
 */
export function createChunkTableSteps(r: ResourceModel, chunks: { table: TableName; owner: string }, ctx: PlanContext): PlanStep[] {
  const { sql } = ctx;
  const table = sql.table(chunks.table);
  const name = qualifiedName(chunks.table);
  return [
    {
      resource: r.name,
      summary: `create table ${name} for the bytes of ${r.file!.field.name}`,
      sql: `CREATE TABLE ${table} (\n  ${sql.id(chunks.owner)} uuid NOT NULL REFERENCES ${sql.table(r.table)} (${sql.id(r.id.column!)}) ON DELETE CASCADE,\n  seq integer NOT NULL CHECK (seq >= 0),\n  bytes bytea NOT NULL,\n  PRIMARY KEY (${sql.id(chunks.owner)}, seq)\n)`,
    },
    // Stored uncompressed: files are mostly compressed formats already.
    { resource: r.name, summary: `store ${name} bytes uncompressed`, sql: `ALTER TABLE ${table} ALTER COLUMN bytes SET STORAGE EXTERNAL` },
    { resource: r.name, summary: `let the service role use ${name}`, sql: grantSql(`SELECT, INSERT, DELETE ON ${table}`) },
  ];
}
