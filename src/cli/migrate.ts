import { loadConfig } from '../config.js';
import { FolderInUseError } from '../data/folder-lock.js';
import { migrateToLatest } from '../data/migrate.js';
import { applyModel } from '../model/apply-model.js';
import { formatPlan } from '../model/format-plan.js';
import { DEFAULT_POLICY_FILE } from '../paths.js';
import { loadPolicyFile } from '../policy/load-policy.js';
import { openCliDatabase } from './cli-database.js';

/**
 * `npm run migrate`: applies pending migrations, then the safe steps of POLICY_FILE's data
 * model (as start-up does), to DATABASE_URL, or to the PGlite folder.
 */
async function main() {
  const config = loadConfig();
  const policy = loadPolicyFile(config.policyFile ?? DEFAULT_POLICY_FILE, config.policyHashKey);
  const { db, close } = await openCliDatabase(config, 'npm run migrate').catch((err: unknown) => {
    // No HTTP detour here: migrating under a running instance is the service's own job
    // at start-up (MIGRATE_ON_START), and a second opener would fork the folder.
    if (err instanceof FolderInUseError) {
      throw new Error(`npm run migrate: refused: ${err.message}. Stop it first (it applies pending migrations itself when it starts) ${err.staleHint}`, {
        cause: err,
      });
    }
    throw err;
  });
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
    const plan = await applyModel(db, policy.model);
    if (plan.steps.length > 0 || plan.drift.length > 0) process.stdout.write(formatPlan(plan, { applied: true }));
  } finally {
    await close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
