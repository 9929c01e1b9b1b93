import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { projectFile } from '../src/paths.js';
import { ROUNDS, SECONDS } from './lib/compare.js';
import { auditAppend } from './scenarios/audit-append.js';
import { auditBatching } from './scenarios/audit-batching.js';
import { documentsScenario } from './scenarios/documents.js';
import { exportScenario } from './scenarios/export.js';
import { genericDoors } from './scenarios/generic-doors.js';
import { policyRoles } from './scenarios/policy-roles.js';
import { vsBaseline } from './scenarios/vs-baseline.js';

/** A scenario's markdown section, and optionally its numbers for the JSON results. */
export type ScenarioResult = string | { markdown: string; data: unknown };

/**
 * `npm run bench [-- scenario ...]`: load scenarios against the machine's PostgreSQL,
 * autocannon in its own process, 50 connections, medians of alternating rounds. Prints
 * markdown tables with ratios measured in the same run; writes them to bench/results/.
 * Exits non-zero only when a scenario could not run, never on a slow number.
 */
const scenarios: Record<string, () => Promise<ScenarioResult>> = {
  'audit-batching': auditBatching,
  'audit-append': auditAppend,
  'policy-roles': policyRoles,
  'vs-baseline': vsBaseline,
  export: exportScenario,
  documents: documentsScenario,
  'generic-doors': genericDoors,
};

async function main() {
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);
  const unknown = wanted.filter((w) => !scenarios[w]);
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${Object.keys(scenarios).join(', ')})`);
  const sections: string[] = [];
  const results: Record<string, unknown> = {};
  for (const name of wanted) {
    process.stderr.write(`${name}\n`);
    const result = await scenarios[name]!();
    sections.push(typeof result === 'string' ? result : result.markdown);
    results[name] = typeof result === 'string' ? { markdown: result } : result;
  }
  const report = `median of ${ROUNDS} rounds x ${SECONDS}s, 50 connections\n\n${sections.join('\n\n')}\n`;
  process.stdout.write(`\n${report}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, platform: process.platform };
  mkdirSync(projectFile('bench', 'results'), { recursive: true });
  writeFileSync(projectFile('bench', 'results', `bench-${stamp}.md`), report);
  writeFileSync(
    projectFile('bench', 'results', `bench-${stamp}.json`),
    `${JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, seconds: SECONDS, connections: 50, machine, results }, null, 2)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench could not run: ${(err as Error).message}\n`);
  process.exit(1);
});
