import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { recordAuditEvent } from '../audit/audit-trail.js';
import { createAuditWriter } from '../audit/audit-writer.js';
import { trailFacts } from '../audit/inventory.repository.js';
import { loadConfig } from '../config.js';
import { buildInventory } from '../core/inventory.js';
import { inventoryMarkdown } from '../core/inventory-markdown.js';
import { INVENTORY_DAYS } from '../core/inventory.service.js';
import { DEFAULT_POLICY_FILE } from '../paths.js';
import { loadPolicyFile } from '../policy/load-policy.js';
import { cliAuditContext } from './audit/cli-audit-context.js';
import { openCliDatabase } from './cli-database.js';

const USAGE = `Usage: npm run inventory -- [--format md|json]

Prints the record of processing (GDPR Art. 30) of POLICY_FILE (default:
policies/default.yaml): every stored field, where it lies and who sees it, and the
security measures in force. With DATABASE_URL set it also reads the last ${INVENTORY_DAYS}
days of the audit trail (purposes declared, exports and their recipients, the chain's
last checkpoint and verification), and records that it did in the trail.`;

/** `npm run inventory -- --format md > record-of-processing.md`: the dossier, from a shell. */
async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { format: { type: 'string', default: 'json' }, help: { type: 'boolean' } } });
  if (values.help || (values.format !== 'md' && values.format !== 'json')) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const config = loadConfig();
  const policy = loadPolicyFile(config.policyFile ?? DEFAULT_POLICY_FILE, config.policyHashKey);
  const now = new Date();
  let facts = null;
  // Only a server's database: the PGlite folder belongs to the service, which serves GET /v1/inventory.
  if (config.databaseUrl) {
    const { db, close } = await openCliDatabase(config, 'npm run inventory');
    try {
      facts = await trailFacts(db, new Date(now.getTime() - INVENTORY_DAYS * 86_400_000));
      const log = pino({ level: 'warn' });
      const details = { format: values.format, days: INVENTORY_DAYS, resources: policy.model.resources.size };
      await recordAuditEvent(createAuditWriter(db, log, { groupCommit: false }), log, cliAuditContext(config), { action: 'inventory', resourceType: 'Inventory', resourceIds: [], outcome: 'allowed', details });
    } finally {
      await close();
    }
  }
  const inventory = buildInventory(policy, { facts, days: INVENTORY_DAYS, now, rateLimit: null });
  process.stdout.write(values.format === 'md' ? inventoryMarkdown(inventory) : `${JSON.stringify(inventory, null, 2)}\n`);
  return 0;
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
