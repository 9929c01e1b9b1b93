import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';

// "Bring your own data" must stay true: its table is the one the adopted-CRM integration
// test creates (that test reads it from this page), its policy excerpt is the shipped
// example word for word, and its check commands run as written.

const PAGE = readFileSync(projectFile('docs', 'bring-your-own-data.md'), 'utf8');
const EXAMPLE = readFileSync(projectFile('policies', 'examples', 'crm-adopt.yaml'), 'utf8');
const blocks = (lang: string) => [...PAGE.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

function run(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: projectFile(), maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('docs/bring-your-own-data.md', () => {
  it('quotes the shipped example policy word for word', () => {
    const [excerpt] = blocks('yaml');
    expect(excerpt).toBeDefined();
    expect(EXAMPLE).toContain(excerpt!.trim().split('\n').slice(1).join('\n'));
    expect(excerpt!.startsWith('resources:\n')).toBe(true);
  });

  it('checks and tests the example with the commands it shows', async () => {
    const commands = blocks('sh').find((b) => b.includes('npm run policy -- check'));
    expect(commands).toBeDefined();
    const { code, stdout, stderr } = await run(commands!.replaceAll('npm run policy', 'npm run -s policy'));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Client: id, fullName \(mask initials\)/);
    expect(stdout).toMatch(/\d+ passed, 0 failed/);
  }, 60_000);
});
