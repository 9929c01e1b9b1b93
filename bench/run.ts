import { mkdirSync, writeFileSync } from 'node:fs';
import { projectFile } from '../src/paths.js';
import { ROUNDS, SECONDS } from './lib/compare.js';
import { auditBatching } from './scenarios/audit-batching.js';
import { policyRoles } from './scenarios/policy-roles.js';

/**
 * `npm run bench [-- scenario ...]`: load scenarios against the machine's PostgreSQL,
 * autocannon in its own process, 50 connections, medians of alternating rounds. Prints
 * markdown tables with ratios measured in the same run; writes them to bench/results/.
 * Exits non-zero only when a scenario could not run, never on a slow number.
 */
const scenarios: Record<string, () => Promise<string>> = {
  'audit-batching': auditBatching,
  'policy-roles': policyRoles,
};

async function main() {
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);
  const unknown = wanted.filter((w) => !scenarios[w]);
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${Object.keys(scenarios).join(', ')})`);
  const sections: string[] = [];
  for (const name of wanted) {
    process.stderr.write(`${name}\n`);
    sections.push(await scenarios[name]!());
  }
  const report = `median of ${ROUNDS} rounds x ${SECONDS}s, 50 connections\n\n${sections.join('\n\n')}\n`;
  process.stdout.write(`\n${report}`);
  mkdirSync(projectFile('bench', 'results'), { recursive: true });
  writeFileSync(projectFile('bench', 'results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), report);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench could not run: ${(err as Error).message}\n`);
  process.exit(1);
});
