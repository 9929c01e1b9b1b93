import type { Db } from './database.js';

/** `service_keys`: keys every instance shares through the database (see its migration). */
export interface ServiceKeyTable {
  name: string;
  key: Buffer;
}

/**
 * The page-cursor key. Read once at start-up: it never changes, and every instance on
 * this database reads the same one, so a cursor one instance issued works on any other.
 */
export async function loadCursorKey(db: Db): Promise<Buffer> {
  const row = await db.selectFrom('serviceKeys').select('key').where('name', '=', 'cursor').executeTakeFirst();
  if (!row) throw new Error('The database has no page-cursor key: apply the migrations (npm run migrate).');
  return row.key;
}
