import type { TestDatabase } from './test-database.js';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Where in the database each marker string still is: every table of every schema (but
 * the catalogs), each row cast to text and searched case-insensitively, and every bytea
 * column searched for the marker's UTF-8 bytes. Marker -> ["schema.table", ...]; a
 * marker found nowhere is absent from the map.
 */
export async function databaseHolding(db: TestDatabase, markers: readonly string[]): Promise<Map<string, string[]>> {
  const { rows: columns } = await db.query(
    `select c.table_schema, c.table_name, c.column_name, c.data_type
       from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
      order by 1, 2, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const c of columns) {
    const name = `${quote(c.table_schema)}.${quote(c.table_name)}`;
    if (!tables.has(name)) tables.set(name, []);
    if (c.data_type === 'bytea') tables.get(name)!.push(quote(c.column_name));
  }
  const found = new Map<string, string[]>();
  for (const [table, bytea] of tables) {
    const label = table.replace(/"/g, '');
    for (const marker of markers) {
      const tests = [`strpos(lower(x::text), lower($1)) > 0`, ...bytea.map((col) => `position(convert_to($1, 'UTF8') in x.${col}) > 0`)];
      const { rows } = await db.query(`select count(*)::int as n from ${table} x where ${tests.join(' or ')}`, [marker]);
      if (rows[0].n > 0) found.set(marker, [...(found.get(marker) ?? []), label]);
    }
  }
  return found;
}
