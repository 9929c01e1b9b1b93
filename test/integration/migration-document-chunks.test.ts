import { createHash, randomBytes } from 'node:crypto';
import { Migrator } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { openDatabase, type Db } from '../../src/data/database.js';
import { readSlices } from '../../src/data/document-content.repository.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// Moving documents' bytes into chunks must lose nothing: a database holding documents in
// the old single column is migrated, and each document reads back byte for byte.

const MiB = 1024 * 1024;
let database: TestDatabase;
let db: Db;
const migrator = () => new Migrator({ db, provider: { getMigrations: async () => migrations } });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ url: database.url, poolMax: 1, log: pino({ level: 'silent' }), preparedStatements: false });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('the document-chunks migration', () => {
  it('moves every document into chunks byte for byte, and back down again', async () => {
    const { error } = await migrator().migrateTo('2026-11-23T2200_audit-append-function');
    expect(error).toBeUndefined();
    const customer = (await database.query(`insert into customers (full_name) values ('Chunk Test') returning id`)).rows[0].id;
    const files = [Buffer.alloc(0), randomBytes(10), randomBytes(MiB), randomBytes(2 * MiB + 5)];
    const ids: string[] = [];
    for (const bytes of files) {
      const { rows } = await database.query(
        `insert into documents (customer_id, category, title, content_type, size_bytes, sha256, content, created_by) values ($1, 'invoice', 't', 'application/pdf', $2, $3, $4, 'root') returning id`,
        [customer, bytes.length, sha(bytes), bytes],
      );
      ids.push(rows[0].id);
    }
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    for (const [i, bytes] of files.entries()) {
      const parts: Buffer[] = [];
      for await (const part of readSlices(db, ids[i]!, bytes.length)) parts.push(part);
      expect(sha(Buffer.concat(parts))).toBe(sha(bytes));
    }
    expect((await migrator().migrateTo('2026-11-23T2200_audit-append-function')).error).toBeUndefined();
    const { rows } = await database.query(`select id, content from documents`);
    for (const [i, bytes] of files.entries()) expect(sha(rows.find((r) => r.id === ids[i]).content)).toBe(sha(bytes));
  });
});
