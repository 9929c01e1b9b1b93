import { sql, type Kysely } from 'kysely';
import { qualifiedName, type TableName } from './model.js';

/**
 * What the planner needs to know of the tables the model names, read from pg_catalog
 * (readable by any role, unlike information_schema, which hides what the role may not use).
 */
export interface Catalog {
  /** By `schema.name`; a table that does not exist is absent. */
  tables: ReadonlyMap<string, CatalogTable>;
  schemas: ReadonlySet<string>;
  /** Keywords that must be quoted as names (`order`, `user`, ...), from the server itself. */
  reserved: ReadonlySet<string>;
}

export interface CatalogTable {
  /** `r` table, `p` partitioned table, `v` view, ... (pg_class.relkind). */
  kind: string;
  columns: ReadonlyMap<string, CatalogColumn>;
  /** The primary key's columns, or null without one. */
  primaryKey: readonly string[] | null;
  checks: readonly { name: string; columns: readonly string[]; definition: string }[];
  foreignKeys: readonly { name: string; columns: readonly string[]; references: string; onDelete: string }[];
  /** Each index's key columns in order ('' for an expression). */
  indexes: readonly (readonly string[])[];
}

export interface CatalogColumn {
  /** As format_type() writes it: `text`, `timestamp(3) with time zone`, `text[]`. */
  type: string;
  /** pg_type.typtype: `e` for an enum type, `b` base, `d` domain. */
  typeKind: string;
  notNull: boolean;
  /** The default expression as PostgreSQL prints it (`now()`, `'standard'::text`), or null. */
  default: string | null;
  /** GENERATED ... AS IDENTITY: the database makes the value. */
  identity: boolean;
}

interface Row {
  [key: string]: unknown;
}

/** Reads the catalog entries of `tables` in a handful of statements, whatever their number. */
export async function readCatalog(db: Kysely<any>, tables: readonly TableName[]): Promise<Catalog> {
  const plain = db.withoutPlugins();
  const rows = async (query: ReturnType<typeof sql>) => (await query.execute(plain)).rows as Row[];
  const found = await rows(sql`
    select c.oid, n.nspname as schema, c.relname as name, c.relkind::text as kind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where (n.nspname, c.relname) in (select * from unnest(${tables.map((t) => t.schema)}::text[], ${tables.map((t) => t.name)}::text[]))`);
  const oids = found.map((r) => r.oid);
  const [columns, constraints, indexes, schemas, reserved] = await Promise.all([
    rows(sql`
      select a.attrelid as oid, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, t.typtype::text as type_kind,
        a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_expr, a.attidentity <> '' as identity
      from pg_attribute a join pg_type t on t.oid = a.atttypid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = any(${oids}::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`),
    rows(sql`
      select c.conrelid as oid, c.conname as name, c.contype::text as kind, pg_get_constraintdef(c.oid) as definition,
        array(select a.attname::text from unnest(c.conkey) with ordinality k(num, pos)
              join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num order by k.pos) as columns,
        (select n.nspname || '.' || r.relname from pg_class r join pg_namespace n on n.oid = r.relnamespace where r.oid = c.confrelid) as references,
        c.confdeltype::text as on_delete
      from pg_constraint c where c.conrelid = any(${oids}::oid[])`),
    rows(sql`
      select i.indrelid as oid, array(select coalesce(a.attname::text, '') from unnest(i.indkey::int2[]) with ordinality k(num, pos)
              left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.num order by k.pos) as columns
      from pg_index i where i.indrelid = any(${oids}::oid[])`),
    rows(sql`select nspname as name from pg_namespace where nspname = any(${[...new Set(tables.map((t) => t.schema))]}::text[])`),
    rows(sql`select word from pg_get_keywords() where catcode in ('R', 'T')`),
  ]);
  const of = (list: Row[], oid: unknown) => list.filter((r) => r.oid === oid);
  const result = new Map<string, CatalogTable>();
  for (const t of found) {
    const own = of(constraints, t.oid);
    const primary = own.find((c) => c.kind === 'p');
    result.set(qualifiedName(t as unknown as TableName), {
      kind: t.kind as string,
      columns: new Map(of(columns, t.oid).map((c) => [c.name as string, { type: c.type as string, typeKind: c.type_kind as string, notNull: c.not_null as boolean, default: c.default_expr as string | null, identity: c.identity as boolean }])),
      primaryKey: primary ? (primary.columns as string[]) : null,
      checks: own.filter((c) => c.kind === 'c').map((c) => ({ name: c.name as string, columns: c.columns as string[], definition: c.definition as string })),
      foreignKeys: own.filter((c) => c.kind === 'f').map((c) => ({ name: c.name as string, columns: c.columns as string[], references: c.references as string, onDelete: c.on_delete as string })),
      indexes: of(indexes, t.oid).map((i) => i.columns as string[]),
    });
  }
  return { tables: result, schemas: new Set(schemas.map((s) => s.name as string)), reserved: new Set(reserved.map((r) => r.word as string)) };
}
