import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { projectFile } from '../src/paths.js';
import { ROUNDS, SECONDS } from './lib/compare.js';
import { targetsTable } from './lib/summary.js';
import { auditAppend, auditIndexes } from './scenarios/audit-append.js';
import { auditBatching } from './scenarios/audit-batching.js';
import { documentsScenario } from './scenarios/documents.js';
import { exportScenario } from './scenarios/export.js';
import { genericDoors } from './scenarios/generic-doors.js';
import { policyRoles } from './scenarios/policy-roles.js';
import { vsBaseline } from './scenarios/vs-baseline.js';

/** A scenario's markdown section, and optionally its numbers for the JSON results. */
export type ScenarioResult = string | { markdown: string; data: unknown };

/**
 * `npm run bench [-- scenario ...]`: builds the service (`npm run build`), then loads
 * scenarios against the compiled servers and the machine's PostgreSQL, autocannon in its
 * own process, 50 connections, medians of alternating rounds. Prints markdown tables
 * with ratios measured in the same run, then issue 16's targets, one row each, met or
 * not; writes them to bench/results/. Exits non-zero only when a scenario could not
 * run, never on a slow number.
 */
const scenarios: Record<string, () => Promise<ScenarioResult>> = {
  'audit-batching': auditBatching,
  'audit-append': auditAppend,
  'audit-indexes': auditIndexes,
  'policy-roles': policyRoles,
  'vs-baseline': vsBaseline,
  export: exportScenario,
  documents: documentsScenario,
  'generic-doors': genericDoors,
};

/** Without arguments: the scenarios the targets table needs (the others on request). */
const DEFAULT = ['vs-baseline', 'export', 'documents', 'audit-append'];

async function main() {
  const started = performance.now();
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT;
  const unknown = wanted.filter((w) => !scenarios[w]);
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${Object.keys(scenarios).join(', ')})`);
  const sections: string[] = [];
  const results: Record<string, unknown> = {};
  const data: Record<string, unknown> = {};
  for (const name of wanted) {
    process.stderr.write(`${name}\n`);
    const result = await scenarios[name]!();
    sections.push(typeof result === 'string' ? result : result.markdown);
    results[name] = typeof result === 'string' ? { markdown: result } : result;
    if (typeof result !== 'string') data[name] = result.data;
  }
  const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, platform: process.platform };
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  const summary = `Issue 16 targets (${new Date().toISOString().slice(0, 16)}Z, ${machine.cpus} x ${machine.cpu}, Node ${machine.node}; bench ${minutes} min after the build)\n\n${targetsTable(data)}`;
  const report = `median of ${ROUNDS} rounds x ${SECONDS}s, 50 connections\n\n${[...sections, summary].join('\n\n')}\n`;
  process.stdout.write(`\n${report}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
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
