import type { DefaultValue, FieldModel, FieldType, TableName } from './model.js';

/**
 * The SQL text of a plan. Plans are printed for a person to read before anything runs,
 * so names are quoted only where PostgreSQL needs it (`"order"`, `"FullName"`).
 */
export interface SqlText {
  id(name: string): string;
  table(t: TableName): string;
}

export function sqlText(reserved: ReadonlySet<string>): SqlText {
  const id = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) && !reserved.has(name) ? name : `"${name.replaceAll('"', '""')}"`);
  return { id, table: (t) => (t.schema === 'public' ? id(t.name) : `${id(t.schema)}.${id(t.name)}`) };
}

export const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A text[] literal: `'{"a","b c"}'`. */
const arrayLiteral = (items: readonly string[]) => literal(`{${items.map((i) => `"${i.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`);

/** Each type's column type in DDL, and as format_type() prints it back from the catalog. */
export const COLUMN_TYPES: Record<Exclude<FieldType, 'file'>, { ddl: string; catalog: string }> = {
  id: { ddl: 'uuid', catalog: 'uuid' },
  string: { ddl: 'text', catalog: 'text' },
  text: { ddl: 'text', catalog: 'text' },
  integer: { ddl: 'bigint', catalog: 'bigint' },
  decimal: { ddl: 'numeric', catalog: 'numeric' },
  boolean: { ddl: 'boolean', catalog: 'boolean' },
  date: { ddl: 'date', catalog: 'date' },
  // Millisecond precision: what JSON carries, so keyset cursors round-trip exactly.
  timestamp: { ddl: 'timestamptz(3)', catalog: 'timestamp(3) with time zone' },
  enum: { ddl: 'text', catalog: 'text' },
  'string[]': { ddl: 'text[]', catalog: 'text[]' },
  ref: { ddl: 'uuid', catalog: 'uuid' },
};

/** The column default a managed table gives this field, as SQL; undefined for none. */
export function defaultSql(field: FieldModel): string | undefined {
  if (field.type === 'id') return 'gen_random_uuid()';
  if (field.generated === 'created' || field.generated === 'updated') return 'now()';
  const value = field.default ?? (field.type === 'string[]' ? [] : undefined);
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return arrayLiteral(value);
  return typeof value === 'string' ? literal(value) : String(value);
}

/** Reads PostgreSQL's printed default (`'standard'::text`, `false`, `'{}'::text[]`) back to a value. */
function printedValue(expr: string): DefaultValue | undefined {
  const text = expr.replace(/^\((.*)\)$/, '$1');
  const quoted = /^'((?:[^']|'')*)'(::[a-z ]+(\[\])?)*$/.exec(text);
  if (quoted) {
    const value = quoted[1]!.replaceAll("''", "'");
    return quoted[3] ? parseTextArray(value) : value;
  }
  const bare = text.replace(/::[a-z ]+$/, '');
  if (bare === 'true' || bare === 'false') return bare === 'true';
  return /^-?\d+(\.\d+)?$/.test(bare) ? Number(bare) : undefined;
}

/** `{a,"b c"}` -> ['a', 'b c']: the array literals PostgreSQL prints for text[] defaults. */
function parseTextArray(text: string): string[] | undefined {
  if (text === '{}') return [];
  const items = /^\{(.*)\}$/.exec(text)?.[1];
  if (items === undefined) return undefined;
  return [...items.matchAll(/"((?:[^"\\]|\\.)*)"|([^,]+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

/** Whether the column's current default is the one the model asks for. */
export function sameDefault(printed: string | null, field: FieldModel): boolean {
  const wanted = defaultSql(field);
  if (printed === null || wanted === undefined) return printed === null && wanted === undefined;
  if (field.type === 'id' || field.generated === 'created' || field.generated === 'updated') return printed === wanted || (field.generated !== undefined && printed === 'CURRENT_TIMESTAMP');
  const value = printedValue(printed);
  const expected = field.default ?? [];
  if (Array.isArray(expected)) return Array.isArray(value) && value.length === expected.length && value.every((v, i) => v === expected[i]);
  // A numeric default prints as a string literal when negative ('-5'::integer).
  return typeof expected === 'number' ? Number(value) === expected : value === expected;
}

/** The values of an enum CHECK (`col = ANY (ARRAY['a'::text, ...])` or `col = 'a'::text`), or undefined. */
export function enumCheckValues(definition: string, column: string): string[] | undefined {
  const col = `"?${column.replace(/[^A-Za-z0-9_]/g, '.')}"?`;
  const list = new RegExp(`^CHECK \\(\\(${col} = (ANY \\(ARRAY\\[(.*)\\]\\)|('(?:[^']|'')*'::text))\\)\\)$`).exec(definition);
  if (!list) return undefined;
  return [...(list[2] ?? list[3]!).matchAll(/'((?:[^']|'')*)'::text/g)].map((m) => m[1]!.replaceAll("''", "'"));
}

export const enumCheckSql = (sql: SqlText, column: string, values: readonly string[]) => `CHECK (${sql.id(column)} IN (${values.map(literal).join(', ')}))`;
