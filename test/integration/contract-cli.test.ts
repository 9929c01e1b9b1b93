import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { tempFiles } from '../helpers/policy-cli.js';
import { runCli } from '../helpers/run-cli.js';

/** `npm run contract` as CI and a person run it: a real process, its files and exit status. */
const contract = (args: string[]) => runCli('contract', args, {});
const out = mkdtempSync(join(tmpdir(), 'contract-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const { withPets } = tempFiles({
  withPets: readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('resources:\n', 'resources:\n  Pet:\n    plural: pets\n    fields:\n      id: { type: id }\n      name: { type: string, required: true }\n'),
});

describe('npm run contract (child process)', { timeout: 60_000 }, () => {
  it('writes openapi.yaml as it stands for the default policy', async () => {
    const printed = await contract([]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(readFileSync(projectFile('openapi.yaml'), 'utf8'));
    const written = await contract(['--out', join(out, 'default')]);
    expect(written.code, written.stderr).toBe(0);
    expect(readFileSync(join(out, 'default', 'openapi.yaml'), 'utf8')).toBe(readFileSync(projectFile('openapi.yaml'), 'utf8'));
    expect(readFileSync(join(out, 'default', 'schema.graphql'), 'utf8')).toBe(readFileSync(projectFile('schema.graphql'), 'utf8'));
  });

  it('--check passes while openapi.yaml is what the default policy serves, and fails for a policy that generates doors', async () => {
    const ok = await contract(['--check']);
    expect(ok.code, ok.stderr).toBe(0);
    const differs = await contract(['--check', '--policy', withPets!]);
    expect(differs.code).toBe(1);
    expect(differs.stderr).toMatch(/openapi\.yaml differs from what .* serves/);
    expect(differs.stderr).toMatch(/schema\.graphql differs from what .* serves at \/graphql/);
  });

  it('writes the document of another policy, with its generated routes', async () => {
    const res = await contract(['--policy', projectFile('policies/examples/clinic.yaml'), '--out', join(out, 'clinic')]);
    expect(res.code, res.stderr).toBe(0);
    const doc = parseYaml(readFileSync(join(out, 'clinic', 'openapi.yaml'), 'utf8')) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/patients', '/v1/patients/{id}', '/v1/consultations/export']));
    expect(Object.keys(doc.paths)).not.toContain('/v1/customers');
    const sdl = readFileSync(join(out, 'clinic', 'schema.graphql'), 'utf8');
    expect(sdl).toMatch(/patients\(first: Int, after: String, filter: \[FieldFilter!\], sort: String\): PatientConnection/);
    expect(sdl).not.toMatch(/customer/i);
  });

  it('says how to use it when an option is unknown', async () => {
    const res = await contract(['--polcy', 'x']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Usage: npm run contract');
  });
});
