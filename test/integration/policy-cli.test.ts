import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tempFiles } from '../helpers/policy-cli.js';

/** The policy tools as an author runs them: `npm run policy -- ...`, a real process, exit codes. */
describe('npm run policy (child process)', () => {
  it('check prints the summary and exits 0 on the default policy', async () => {
    const { code, stdout } = await runCli('policy', ['check', DEFAULT_POLICY_FILE], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(/^version {4}sha256:[0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^role agent — /m);
  });

  it('check exits 1 on an invalid file and lists its problems on stderr', async () => {
    const { bad } = tempFiles({ bad: 'resources: {}\nroles:\n  agent:\n    inherits: [ghost]\n' });
    const { code, stdout, stderr } = await runCli('policy', ['check', bad!], {});
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('roles.agent.inherits[0]: unknown role "ghost"');
  });

  it('test runs the shipped default policy cases and exits 0', async () => {
    const { code, stdout } = await runCli('policy', ['test', DEFAULT_POLICY_FILE, projectFile('policies', 'default.tests.yaml')], {});
    expect(stdout).not.toMatch(/^FAIL/m);
    expect(code).toBe(0);
  });

  it('an unknown command prints the usage and exits 2', async () => {
    const { code, stderr } = await runCli('policy', ['frobnicate'], {});
    expect(code).toBe(2);
    expect(stderr).toMatch(/check FILE[\s\S]*test FILE TESTS[\s\S]*diff OLD NEW/);
  });
});
