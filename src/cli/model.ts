import { relative } from 'node:path';
import { loadConfig } from '../config.js';
import { migrateToLatest, pendingMigrations } from '../data/migrate.js';
import { applyModel, ModelError, planModel } from '../model/apply-model.js';
import { formatPlan } from '../model/format-plan.js';
import { isEmptyPlan } from '../model/schema-plan.js';
import { DEFAULT_POLICY_FILE } from '../paths.js';
import { loadPolicyFile } from '../policy/load-policy.js';
import { FolderInUseError } from '../data/folder-lock.js';
import { openCliDatabase } from './cli-database.js';

/** Exit codes: scripts (CI, deploys) tell "in step" from "a person must look". */
const MATCHES = 0;
const FAILED = 1;
const NEEDS_ATTENTION = 2;

const USAGE = `Usage: npm run model -- plan | apply

  plan    print the SQL that brings the database to the policy's data model, and the
          drift fieldguard never settles itself; runs nothing
  apply   run pending migrations, then that SQL in one transaction

POLICY_FILE (default: policies/default.yaml) against DATABASE_URL, or the PGlite folder.
Exit status: 0 the database matches the model; 2 SQL pending, drift, or adopted tables
that do not fit; 1 the command failed.`;

/** The policy file as the person named it: relative to here when it lies below. */
const shown = (file: string) => (relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file));

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

/** `npm run model -- plan | apply`: the schema side of the data model, for the people who run it. */
async function main(): Promise<number> {
  const command = process.argv[2];
  if (command !== 'plan' && command !== 'apply') {
    process.stderr.write(`${USAGE}\n`);
    return FAILED;
  }
  const config = loadConfig();
  const file = config.policyFile ?? DEFAULT_POLICY_FILE;
  const policy = loadPolicyFile(file, config.policyHashKey);
  const { db, close } = await openCliDatabase(config, `npm run model -- ${command}`).catch((err: unknown) => {
    // A second opener would fork the PGlite folder; the service applies the model itself at start-up.
    if (err instanceof FolderInUseError) throw new Error(`npm run model: refused: ${err.message}. Stop it first ${err.staleHint}`, { cause: err });
    throw err;
  });
  try {
    out(`-- The data model of ${shown(file)} against ${config.databaseUrl ? 'DATABASE_URL' : `PGlite in ${config.pgliteDir}/`}.`);
    if (command === 'plan') {
      // Before the migrations ran, the plan would offer to create today's tables itself.
      const pending = await pendingMigrations(db);
      if (pending.length > 0) {
        out(`-- Migrations pending: ${pending.join(', ')}.\n-- npm run migrate (or npm run model -- apply) runs them; plan again then.`);
        return NEEDS_ATTENTION;
      }
      const plan = await planModel(db, policy.model);
      out(formatPlan(plan));
      return isEmptyPlan(plan) ? MATCHES : NEEDS_ATTENTION;
    }
    const migrated = await migrateToLatest(db);
    if (migrated.length > 0) out(`-- Migrations applied: ${migrated.join(', ')}.`);
    try {
      const plan = await applyModel(db, policy.model);
      out(formatPlan(plan, { applied: true }));
      return plan.drift.length > 0 ? NEEDS_ATTENTION : MATCHES;
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      out(formatPlan(err.plan));
      return NEEDS_ATTENTION;
    }
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
    process.exitCode = FAILED;
  },
);
