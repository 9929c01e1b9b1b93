import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createAuditWriter } from '../audit/audit-writer.js';
import { loadConfig } from '../config.js';
import { applyRetention, retentionAuditContext, retentionDue, withRetentionLock, type RetentionDue, type RetentionOutcome } from '../core/retention.service.js';
import { retentionHooks } from '../core/retention-hooks.js';
import { FolderInUseError } from '../data/folder-lock.js';
import { pendingMigrations } from '../data/migrate.js';
import { DEFAULT_POLICY_FILE } from '../paths.js';
import { loadPolicyFile } from '../policy/load-policy.js';
import { openCliDatabase } from './cli-database.js';

const USAGE = `Usage: npm run retention -- [--dry-run] [--resource NAME]... [--batch-size N] [--limit N]

  --dry-run        list, per resource, what is past retention (and what a legal hold
                   keeps); changes nothing
  --resource NAME  only this resource (repeatable); default: every resource with a rule
  --batch-size N   records per transaction (default RETENTION_BATCH_SIZE, 100)
  --limit N        stop after N records; a later run carries on where this one stopped

Applies the retention: rules of POLICY_FILE (default: policies/default.yaml) to
DATABASE_URL, or to the PGlite folder when no service holds it. Progress goes to stderr,
the summary to stdout. Exit status: 0 done (or nothing due), 1 failed, 2 bad usage,
3 another run holds the retention lock, 4 stopped by --limit with records still due.`;

const positive = (name: string, text: string | undefined, max: number) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return n;
};

class UsageError extends Error {}

const out = (line: string) => process.stdout.write(`${line}\n`);
const children = (counts: Record<string, number>) => {
  const parts = Object.entries(counts).map(([name, n]) => `${n} ${name}`);
  return parts.length > 0 ? `, with ${parts.join(', ')}` : '';
};

function printDue(due: RetentionDue[]): void {
  if (due.length === 0) out('No resource of this policy has a retention rule.');
  for (const d of due) {
    const held = d.held > 0 ? ` (${d.held} held by a legal hold)` : '';
    out(`${d.resource}: ${d.due} past ${d.after} from ${d.from}, would ${d.then} ${d.due - d.held}${held}${children(d.children)}`);
  }
}

function printOutcome(outcomes: RetentionOutcome[]): void {
  if (outcomes.length === 0) out('No resource of this policy has a retention rule.');
  for (const o of outcomes) {
    const extra = [o.held > 0 ? `${o.held} held by a legal hold` : '', o.blocked > 0 ? `${o.blocked} left: other records refer to them` : '', o.stopped ? 'more still due' : '']
      .filter(Boolean)
      .join('; ');
    out(`${o.resource}: ${o.then === 'erase' ? 'erased' : 'deleted'} ${o.applied}${children(o.children)}${extra ? ` (${extra})` : ''}`);
  }
}

/** `npm run retention -- [--dry-run] ...`: the policy's retention rules, applied or listed. */
async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { 'dry-run': { type: 'boolean' }, resource: { type: 'string', multiple: true }, 'batch-size': { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const config = loadConfig();
  let batchSize: number;
  let limit: number | undefined;
  try {
    batchSize = positive('batch-size', values['batch-size'], 1_000) ?? config.retention.batchSize;
    limit = positive('limit', values.limit, 100_000_000);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  const file = config.policyFile ?? DEFAULT_POLICY_FILE;
  const policy = loadPolicyFile(file, config.policyHashKey);
  const { db, close } = await openCliDatabase(config, 'npm run retention').catch((err: unknown) => {
    // A second opener would fork the PGlite folder: the running service applies retention
    // itself when RETENTION_INTERVAL is set.
    if (err instanceof FolderInUseError) {
      throw new Error(`npm run retention: refused: ${err.message}. Stop it first, or let the service apply retention itself (RETENTION_INTERVAL) ${err.staleHint}`, { cause: err });
    }
    throw err;
  });
  try {
    const shown = relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file);
    const now = new Date();
    const where = config.databaseUrl ? 'DATABASE_URL' : `PGlite in ${config.pgliteDir}/`;
    // Retention reads the tables the migrations and the model made: a database behind them is refused.
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      process.stderr.write(`The database has migrations pending (${pending.join(', ')}): run npm run migrate (or start the service) first. Nothing was done.\n`);
      return 1;
    }
    const hooks = retentionHooks(policy.model);
    const resources = values.resource;
    if (values['dry-run']) {
      out(`Retention of ${shown} against ${where} as of ${now.toISOString()} (dry run: nothing changes).`);
      printDue(await retentionDue({ db, model: policy.model, now, resources, ...hooks }));
      return 0;
    }
    out(`Retention of ${shown} against ${where} as of ${now.toISOString()}.`);
    const log = pino({ level: 'warn' });
    const outcomes = await withRetentionLock(db, (session) =>
      applyRetention({
        db: session,
        model: policy.model,
        log,
        writer: createAuditWriter(session, log, { groupCommit: false }),
        audit: retentionAuditContext(policy.version, 'cli'),
        now,
        batchSize,
        limit,
        resources,
        trigger: 'cli',
        onProgress: (line) => process.stderr.write(`${line}\n`),
        ...hooks,
      }),
    );
    if (outcomes === null) {
      process.stderr.write('Another retention run (a service or a CLI) holds the retention lock; nothing was done. Try again when it has finished.\n');
      return 3;
    }
    printOutcome(outcomes);
    return outcomes.some((o) => o.stopped) ? 4 : 0;
  } finally {
    await close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
