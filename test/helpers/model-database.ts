import { pino } from 'pino';
import { openDatabase, type Db } from '../../src/data/database.js';
import type { Model } from '../../src/model/model.js';
import { compilePolicy } from '../../src/policy/load-policy.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** A fresh database and the app's kysely handle on it, for schema-plan tests. */
export async function openModelDatabase(statementTimeoutMs?: number): Promise<{ database: TestDatabase; db: Db; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = openDatabase({
    url: database.url,
    poolMax: 1,
    preparedStatements: database.preparedStatements,
    log: pino({ level: 'silent' }),
    ...(statementTimeoutMs ? { statementTimeoutMs } : {}),
  });
  return {
    database,
    db,
    close: async () => {
      await db.destroy();
      await database.drop();
    },
  };
}

/** The model of a policy holding these resources (and a role, as a policy needs). */
export function modelOf(resources: Record<string, unknown>): Model {
  return compilePolicy({ resources, roles: {} }, 'v', undefined).model;
}

/** A table's whole definition (columns, constraints, indexes, triggers, privileges), to prove nothing changed it. */
export async function tableDefinition(database: TestDatabase, table: string): Promise<unknown> {
  const { rows } = await database.query(
    `select
      (select json_agg(json_build_array(attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid)) order by attnum)
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where attrelid = $1::regclass and attnum > 0 and not attisdropped) as columns,
      (select json_agg(json_build_array(conname, pg_get_constraintdef(oid)) order by conname) from pg_constraint where conrelid = $1::regclass) as constraints,
      (select json_agg(pg_get_indexdef(indexrelid) order by indexrelid) from pg_index where indrelid = $1::regclass) as indexes,
      (select json_agg(tgname order by tgname) from pg_trigger where tgrelid = $1::regclass) as triggers,
      (select relacl::text from pg_class where oid = $1::regclass) as privileges`,
    [table],
  );
  return rows[0];
}
