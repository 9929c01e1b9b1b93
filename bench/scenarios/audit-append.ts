import { randomUUID } from 'node:crypto';
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
 * are shaped like a single read's (one record id, a few field names).
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

export async function auditAppend(): Promise<{ markdown: string; data: unknown }> {
  const database = await createBenchDatabase();
  const log = pino({ level: 'silent' });
  const dbs = Array.from({ length: WRITERS }, () => openDatabase({ url: database.url, poolMax: 1, log, onStatement: countAppends }));
  try {
    await migrateToLatest(dbs[0]!);
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
    const markdown = `Audit chain appends straight into PostgreSQL (${SECONDS} s per run)\n\n| writers | appends/s (median) | commits/s (median) | appends/s per run |\n|---|---|---|---|\n${lines.join('\n')}`;
    return { markdown, data: Object.fromEntries(results) };
  } finally {
    await Promise.all(dbs.map((db) => db.destroy()));
    await database.drop();
  }
}
