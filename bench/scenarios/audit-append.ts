import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { pino } from 'pino';
import { appendToChain, createAuditWriter, type PendingAuditRow } from '../../src/audit/audit-writer.js';
import { openDatabase, type Db } from '../../src/data/database.js';
import { migrateToLatest } from '../../src/data/migrate.js';
import { createBenchDatabase } from '../lib/bench-database.js';
import { ROUNDS, SECONDS } from '../lib/compare.js';

/**
 * Issue 17: how fast the single audit chain takes rows, straight into PostgreSQL (no
 * HTTP, policy or reads): WRITERS writers, each a connection of its own as each service
 * instance's audit writer is, appending as fast as the chain lets them. Variants: one
 * row per statement and commit (AUDIT_GROUP_COMMIT=false, or writes in their own
 * transaction), and group commit with IN_FLIGHT requests waiting on each writer. Rows
 * are shaped like a single read's (one record id, a few field names), appended after a
 * trail of TRAIL_ROWS rows. Then issue 16: what each index on audit_events costs the
 * append (indexCosts).
 */
const WRITERS = 4;
const IN_FLIGHT = 16;

interface Variant {
  name: string;
  writers: number;
  /** Requests waiting on each writer at once; 1 appends one row per commit. */
  inFlight: number;
}

const VARIANTS: Variant[] = [
  { name: `1 writer, one row per commit`, writers: 1, inFlight: 1 },
  { name: `${WRITERS} writers, one row per commit`, writers: WRITERS, inFlight: 1 },
  { name: `${WRITERS} writers, group commit (${IN_FLIGHT} requests in flight each)`, writers: WRITERS, inFlight: IN_FLIGHT },
  { name: `${WRITERS} writers, group commit (${IN_FLIGHT * 4} requests in flight each)`, writers: WRITERS, inFlight: IN_FLIGHT * 4 },
];

/** The variant the index costs are measured with: group commit, as the service appends. */
const INDEX_LOAD: Variant = { name: 'index', writers: WRITERS, inFlight: IN_FLIGHT };

/** Rows in the trail before the index runs: indexes cost more as they grow. */
const TRAIL_ROWS = Number(process.env.BENCH_AUDIT_TRAIL_ROWS ?? 50_000);

/**
 * Each index's cost on the append rate: the migrated set, then with one index added back
 * (those migration 2026-12-04T0300 dropped or narrowed) or taken away (those kept), so
 * each row's difference to the first is what that one index costs.
 */
const INDEX_VARIANTS: Array<{ name: string; apply: string[]; undo: string[] }> = [
  { name: 'migrated set', apply: [], undo: [] },
  {
    name: '+ UNIQUE (prev_hash), UNIQUE (hash) (dropped)',
    apply: ['CREATE UNIQUE INDEX bench_prev_hash ON audit_events (prev_hash)', 'CREATE UNIQUE INDEX bench_hash ON audit_events (hash)'],
    undo: ['DROP INDEX bench_prev_hash', 'DROP INDEX bench_hash'],
  },
  {
    name: '+ (action, seq) on every row, not only rare actions (narrowed)',
    apply: ['CREATE INDEX bench_action_all ON audit_events (action, seq)'],
    undo: ['DROP INDEX bench_action_all'],
  },
  ...(
    [
      ['GIN (resource_ids)', 'audit_events_resource_ids', 'USING gin (resource_ids)'],
      ['(actor_sub, seq)', 'audit_events_actor_seq', '(actor_sub, seq)'],
      ['(actor_sub, occurred_at)', 'audit_events_actor_time', '(actor_sub, occurred_at)'],
      ['(occurred_at)', 'audit_events_occurred_at', '(occurred_at)'],
      ['(action, seq) for rare actions', 'audit_events_action_seq', `(action, seq) WHERE action NOT IN ('read', 'list', 'check')`],
    ] as const
  ).map(([label, index, definition]) => ({
    name: `- ${label}`,
    apply: [`DROP INDEX ${index}`],
    undo: [`CREATE INDEX ${index} ON audit_events ${definition}`],
  })),
  {
    name: '- UNIQUE (event_id)',
    apply: ['ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_id_key'],
    undo: ['ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_id_key UNIQUE (event_id)'],
  },
];

/**
 * A trail of `TRAIL_ROWS` rows written straight in one statement (faster than the chain;
 * the hashes are distinct but not a verifiable chain, which the bench does not need):
 * 50 actors, one in seven a list of 50 records, a few exports, checkpoints and denials.
 */
const FILL_TRAIL = `
  INSERT INTO audit_events (seq, event_id, occurred_at, actor_sub, actor_roles, channel, action, resource_type, resource_ids,
    fields_clear, fields_masked, fields_withheld, outcome, policy_version, details, prev_hash, hash)
  SELECT g, gen_random_uuid(), now() - interval '30 days' + g * interval '1 second', 'agent-' || (g % 50), '{agent}', 'rest',
    CASE WHEN g % 1000 = 0 THEN 'export' WHEN g % 5000 = 1 THEN 'checkpoint' WHEN g % 7 = 0 THEN 'list' ELSE 'read' END, 'Customer',
    CASE WHEN g % 7 = 0 THEN ARRAY(SELECT md5((g * 50 + i)::text)::uuid::text FROM generate_series(1, 50) i) ELSE ARRAY[md5((g % 20000)::text)::uuid::text] END,
    '{id,fullName,email}', '{phone}', '{address,iban,taxId,notes}', CASE WHEN g % 53 = 0 THEN 'denied' ELSE 'allowed' END, 'bench', '{}',
    encode(sha256(convert_to((g - 1)::text, 'UTF8')), 'hex'), encode(sha256(convert_to(g::text, 'UTF8')), 'hex')
  FROM generate_series(1, $1::int) g`;

const row = (w: number): PendingAuditRow => ({
  eventId: randomUUID(),
  occurredAt: new Date(),
  actorSub: `bench-writer-${w}`,
  actorRoles: ['agent'],
  actorTokenId: randomUUID(),
  channel: 'rest',
  action: 'read',
  resourceType: 'Customer',
  resourceIds: [randomUUID()],
  fieldsClear: ['id', 'fullName', 'email'],
  fieldsMasked: ['phone'],
  fieldsWithheld: ['address', 'iban', 'taxId', 'notes'],
  fieldsWritten: [],
  outcome: 'allowed',
  reason: null,
  requestId: randomUUID(),
  purpose: null,
  clientIp: '127.0.0.1',
  userAgent: 'bench',
  policyVersion: 'bench',
  details: {},
});

/** Appends for SECONDS; returns rows per second and statements (commits) per second. */
async function runVariant(dbs: Db[], variant: Variant): Promise<{ rows: number; commits: number }> {
  const log = pino({ level: 'silent' });
  let rows = 0;
  const statementsBefore = appendStatements;
  let running = true;
  const started = performance.now();
  const loops = dbs.slice(0, variant.writers).flatMap((db, w) => {
    if (variant.inFlight === 1) {
      return [(async () => {
        while (running) {
          await appendToChain(db, [row(w)]);
          rows += 1;
        }
      })()];
    }
    const writer = createAuditWriter(db, log, { groupCommit: true });
    return Array.from({ length: variant.inFlight }, async () => {
      while (running) {
        await writer.write(row(w));
        rows += 1;
      }
    });
  });
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  running = false;
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1000;
  return { rows: rows / seconds, commits: (appendStatements - statementsBefore) / seconds };
}

/** Append statements sent so far: each is one commit (autocommit, one statement per flush). */
let appendStatements = 0;
const countAppends = (text: string) => {
  if (text.includes('fieldguard_append_audit')) appendStatements += 1;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A bench database migrated and holding TRAIL_ROWS audit rows, with one connection per writer. */
async function withTrail<T>(run: (dbs: Db[]) => Promise<T>): Promise<T> {
  const database = await createBenchDatabase();
  const log = pino({ level: 'silent' });
  const dbs = Array.from({ length: WRITERS }, () => openDatabase({ url: database.url, poolMax: 1, log, onStatement: countAppends }));
  try {
    await migrateToLatest(dbs[0]!);
    await ddl(dbs[0]!, [FILL_TRAIL.replace('$1', String(TRAIL_ROWS)), 'ANALYZE audit_events']);
    return await run(dbs);
  } finally {
    await Promise.all(dbs.map((db) => db.destroy()));
    await database.drop();
  }
}

export async function auditAppend(): Promise<{ markdown: string; data: unknown }> {
  return withTrail(async (dbs) => {
    const results = new Map<string, Array<{ rows: number; commits: number }>>(VARIANTS.map((v) => [v.name, []]));
    // A short warm-up (prepared statements, caches), then the variants in turn, round after round.
    await runVariant(dbs, { ...VARIANTS[1]!, name: 'warm-up' });
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of VARIANTS) {
        const result = await runVariant(dbs, variant);
        results.get(variant.name)!.push(result);
        process.stderr.write(`  ${variant.name}: ${Math.round(result.rows)} rows/s, ${Math.round(result.commits)} commits/s\n`);
      }
    }
    const lines = VARIANTS.map((v) => {
      const runs = results.get(v.name)!;
      const rows = runs.map((r) => Math.round(r.rows));
      return `| ${v.name} | ${median(rows)} | ${Math.round(median(runs.map((r) => r.commits)))} | ${rows.join(', ')} |`;
    });
    const markdown = `Audit chain appends straight into PostgreSQL (${SECONDS} s per run, ${TRAIL_ROWS} rows in the trail)\n\n| writers | appends/s (median) | commits/s (median) | appends/s per run |\n|---|---|---|---|\n${lines.join('\n')}`;
    return { markdown, data: Object.fromEntries(results) };
  });
}

/** `npm run bench -- audit-indexes`: what each index of audit_events costs the append (on request: it takes minutes). */
export async function auditIndexes(): Promise<{ markdown: string; data: unknown }> {
  return withTrail(indexCosts);
}

/** Setup and DDL without the service's statement timeout: filling the trail or rebuilding the GIN index takes a while under load. */
async function ddl(db: Db, statements: string[]) {
  if (statements.length === 0) return;
  await db.withoutPlugins().transaction().execute(async (trx) => {
    await sql`SET LOCAL statement_timeout = 0`.execute(trx);
    for (const statement of statements) await sql`${sql.raw(statement)}`.execute(trx);
  });
  // Each variant then starts from a checkpoint, not in the I/O the last rebuild left behind.
  await sql`CHECKPOINT`.execute(db.withoutPlugins());
}

const BIG_BATCH = 2_000;
class RolledBack extends Error {}

/**
 * One append of BIG_BATCH rows inside the database (hashing, inserting, the indexes),
 * rolled back so the trail does not grow, and without a commit: the per-row work under
 * the lock, apart from the WAL flush. Its time a row and the WAL it writes a row (what
 * each commit must flush). The least of three: other work on the machine only ever adds
 * time, and a page's first change after a checkpoint adds its full image to the WAL.
 */
async function perRowCost(db: Db): Promise<{ micros: number; walBytes: number }> {
  const raw = db.withoutPlugins();
  const once = async () => {
    const rows = Array.from({ length: BIG_BATCH }, (_, i) => row(i % WRITERS));
    let walBytes = 0;
    const started = performance.now();
    await raw
      .transaction()
      .execute(async (trx) => {
        const { rows: before } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(trx);
        await appendToChain(trx, rows);
        const { rows: diff } = await sql<{ bytes: string }>`select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${before[0]!.lsn}::pg_lsn)::text as bytes`.execute(trx);
        walBytes = Number(diff[0]!.bytes);
        throw new RolledBack();
      })
      .catch((err: unknown) => {
        if (!(err instanceof RolledBack)) throw err;
      });
    return { micros: ((performance.now() - started) * 1000) / BIG_BATCH, walBytes: walBytes / BIG_BATCH };
  };
  const runs = [await once(), await once(), await once()];
  return { micros: Math.min(...runs.map((r) => r.micros)), walBytes: Math.min(...runs.map((r) => r.walBytes)) };
}

/** Each index variant in turn, round after round, under the group-commit load; ratios to the migrated set in the same round. */
async function indexCosts(dbs: Db[]): Promise<{ markdown: string; data: unknown }> {
  const runs = new Map<string, Array<{ rows: number; micros: number; walBytes: number }>>(INDEX_VARIANTS.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of INDEX_VARIANTS) {
      await ddl(dbs[0]!, variant.apply);
      try {
        const { rows } = await runVariant(dbs, { ...INDEX_LOAD, name: variant.name });
        const { micros, walBytes } = await perRowCost(dbs[0]!);
        runs.get(variant.name)!.push({ rows, micros, walBytes });
        process.stderr.write(`  indexes, ${variant.name}: ${Math.round(rows)} rows/s; ${BIG_BATCH}-row append: ${micros.toFixed(1)} µs, ${Math.round(walBytes)} WAL bytes a row\n`);
      } finally {
        await ddl(dbs[0]!, variant.undo);
      }
    }
  }
  const medianOf = (name: string, pick: (r: { rows: number; micros: number; walBytes: number }) => number) => median(runs.get(name)!.map(pick));
  const reference = medianOf(INDEX_VARIANTS[0]!.name, (r) => r.rows);
  const referenceMicros = medianOf(INDEX_VARIANTS[0]!.name, (r) => r.micros);
  const lines = INDEX_VARIANTS.map((v) => {
    const rows = medianOf(v.name, (r) => r.rows);
    const micros = medianOf(v.name, (r) => r.micros);
    const wal = medianOf(v.name, (r) => r.walBytes);
    const perRun = runs.get(v.name)!.map((r) => Math.round(r.rows)).join(', ');
    return `| ${v.name} | ${Math.round(rows)} | ${(rows / reference).toFixed(2)} | ${micros.toFixed(1)} | ${(micros - referenceMicros).toFixed(1)} | ${Math.round(wal)} | ${perRun} |`;
  });
  return {
    markdown: `audit_events indexes, ${WRITERS} writers, group commit (${IN_FLIGHT} in flight each); µs a row: one ${BIG_BATCH}-row append rolled back (the work under the lock, without the WAL flush) and the WAL it writes a row\n\n| indexes | appends/s (median) | vs migrated set | µs a row (median) | µs a row vs migrated set | WAL bytes a row | appends/s per run |\n|---|---|---|---|---|---|---|\n${lines.join('\n')}`,
    data: Object.fromEntries(runs),
  };
}
