import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuditWriter, isRowError, type PendingAuditRow } from '../../src/audit/audit-writer.js';
import type { Db } from '../../src/data/database.js';

// A database stand-in that fails appends as told and counts them: what matters here is
// how many statements the writer sends after a failure, and which callers it fails.
function scriptedDb(fail: (rows: number) => Error | null) {
  const appends: number[] = [];
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: { parameters: readonly unknown[] }): Promise<QueryResult<R>> {
      const rows = (JSON.parse(String(query.parameters[0])) as unknown[]).length;
      appends.push(rows);
      await new Promise((r) => setTimeout(r, 5));
      const err = fail(rows);
      if (err) throw err;
      return { rows: [] };
    },
    streamQuery: () => {
      throw new Error('not used');
    },
  };
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => connection,
    beginTransaction: async () => {},
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  };
  const db = new Kysely<never>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }) as unknown as Db;
  return { db, appends };
}

const sqlError = (code: string) => Object.assign(new Error('failed'), { code });

const row = (n: number): PendingAuditRow => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  occurredAt: new Date(0),
  actorSub: 'writer',
  actorRoles: ['agent'],
  actorTokenId: null,
  channel: 'rest',
  action: 'read',
  resourceType: 'Customer',
  resourceIds: [],
  fieldsClear: [],
  fieldsMasked: [],
  fieldsWithheld: [],
  fieldsWritten: [],
  outcome: 'allowed',
  reason: null,
  requestId: `r${n}`,
  purpose: null,
  clientIp: null,
  userAgent: null,
  policyVersion: 'test',
  details: {},
});

async function writeConcurrently(db: Db, count: number) {
  const writer = createAuditWriter(db, pino({ level: 'silent' }), { groupCommit: true });
  return Promise.allSettled(Array.from({ length: count }, (_, n) => writer.write(row(n))));
}

describe('the group-commit audit writer after a failed batch', () => {
  it('fails every caller of the batch at once when the chain cannot be appended to (a cancelled statement)', async () => {
    const { db, appends } = scriptedDb(() => sqlError('57014'));
    const results = await writeConcurrently(db, 8);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    // The first row alone, then the seven that queued behind it as one batch; no row-by-row retries.
    expect(appends).toEqual([1, 7]);
  });

  it('fails the batch at once on an error without a SQLSTATE (a lost connection)', async () => {
    const { db, appends } = scriptedDb(() => new Error('Connection terminated unexpectedly'));
    const results = await writeConcurrently(db, 5);
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(appends).toEqual([1, 4]);
  });

  it('retries row by row after a data error, so one bad row does not fail its neighbours', async () => {
    const { db, appends } = scriptedDb((rows) => (rows > 1 ? sqlError('22P02') : null));
    const results = await writeConcurrently(db, 5);
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));
    expect(appends).toEqual([1, 4, 1, 1, 1, 1]);
  });
});

describe('isRowError', () => {
  it('is true for data exceptions and integrity violations only', () => {
    expect(['22P02', '23505', '22001'].map((c) => isRowError(sqlError(c)))).toEqual([true, true, true]);
    expect(['57014', '55P03', '08006', '53300', '40001'].map((c) => isRowError(sqlError(c)))).toEqual([false, false, false, false, false]);
    expect(isRowError(new Error('no code'))).toBe(false);
    expect(isRowError(null)).toBe(false);
  });
});
