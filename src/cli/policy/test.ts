import { loadForCli } from './load.js';
import type { PolicyCommand } from './io.js';
import { runCase } from './run-case.js';
import { loadTestCases, type PolicyTestCase } from './test-cases.js';

/**
 * `npm run policy -- test FILE TESTS`: runs every case in TESTS against the policy in
 * FILE with the engine the service uses; one line per case, a summary, exit 1 on any
 * failure (or an invalid policy or test file).
 */
export const test: PolicyCommand = async (args, io) => {
  if (args.length !== 2) {
    io.err('Usage: npm run policy -- test FILE TESTS');
    return 2;
  }
  const [file, testsFile] = args as [string, string];
  const loaded = loadForCli(file, io);
  if (!loaded) return 1;
  let cases: PolicyTestCase[];
  try {
    cases = loadTestCases(testsFile);
  } catch (err) {
    io.err((err as Error).message);
    return 1;
  }
  let failed = 0;
  for (const c of cases) {
    const result = runCase(loaded.policy, c);
    io.out(`${result.passed ? 'pass' : 'FAIL'}  ${result.name}`);
    for (const failure of result.failures) io.out(`        ${failure}`);
    if (!result.passed) failed++;
  }
  io.out('');
  io.out(`${cases.length - failed} passed, ${failed} failed (${cases.length} cases, policy sha256:${loaded.policy.version.slice(0, 12)})`);
  return failed > 0 ? 1 : 0;
};
