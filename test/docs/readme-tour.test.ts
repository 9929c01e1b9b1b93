import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The README's guided tour, run as a newcomer runs it: `npm start` on embedded PGlite
// (the real server process, its own data folder), then every command of the tour in one
// bash session in the project folder, exactly as written but for BASE, which names the
// port this test's service got. Each step's output is checked for what the prose says.

const README = readFileSync(projectFile('README.md'), 'utf8');
let service: ServerProcess;
let dataDir: string;
const outputs: string[] = [];

/** The ```sh blocks of the "A guided tour" section, in order. */
function tourBlocks(): string[] {
  const section = README.split(/^## A guided tour$/m)[1]!.split(/^## /m)[0]!;
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function runBash(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: projectFile(), env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fieldguard-tour-'));
  service = await startServerProcess({ PGLITE_DIR: dataDir });
  const [base, ...steps] = tourBlocks();
  expect(base!.trim()).toBe('BASE=http://127.0.0.1:8080');
  // One session, so variables carry from step to step; a marker line between steps.
  // curl prints no newline after a body, so each marker starts on a line of its own.
  const script = steps.map((block, i) => `printf '\\n@@step ${i + 1}\\n'\n${block}`).join('\n');
  // The environment a newcomer's shell has, plus where this test's service keeps its data
  // (which `npm run token` reads its dev secret from), and BASE.
  const env = { BASE: service.base, PGLITE_DIR: dataDir, DATABASE_URL: '', AUTH_DEV_SECRET: '' };
  const run = await runBash(script, env);
  if (run.code !== 0) throw new Error(`the tour failed (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
  outputs.push(...run.stdout.split(/\n@@step \d+\n/).slice(1).map((o) => o.trim()));
}, 180_000);

afterAll(async () => {
  rmSync(projectFile('clients.csv'), { force: true });
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
});

describe("the README's guided tour", () => {
  it('has the seven steps the README promises', () => {
    expect(outputs).toHaveLength(7);
  });

  it('2: an agent reads customers with phones masked, and _access names the masked and withheld fields', () => {
    const page = JSON.parse(outputs[1]!);
    expect(page.items).toHaveLength(2);
    for (const c of page.items) {
      expect(c._access.withheld).toEqual(expect.arrayContaining(['address', 'iban', 'taxId']));
      expect(c.iban).toBeUndefined();
    }
    expect(page.items.some((c: { phone: string }) => /^\+\d+ X/.test(c.phone))).toBe(true);
  });

  it('3: GraphQL applies the same masks', () => {
    const { data } = JSON.parse(outputs[2]!);
    expect(data.customers.nodes).toHaveLength(2);
    expect(data.customers.nodes.some((c: { phone: string; access: { masked: string[] } }) => /X/.test(c.phone) && c.access.masked.includes('phone'))).toBe(true);
  });

  it("4: reception sees the demo customer's recent and coming bookings only, and an invoice's title it may not open", () => {
    const [luca] = JSON.parse(outputs[3]!).data.customers.nodes;
    expect(luca.fullName).toBe('Luca Bernardi');
    expect(luca.bookings.nodes).toHaveLength(1);
    expect(Date.parse(luca.bookings.nodes[0].startsAt)).toBeGreaterThan(Date.now());
    expect(luca.documentPage.nodes).toEqual([{ title: 'Invoice 2026-031', category: 'invoice', access: { withheld: expect.arrayContaining(['content']) } }]);
  });

  it("5: the agent's export is refused with the policy's reason", () => {
    const problem = JSON.parse(outputs[4]!);
    expect(problem).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(problem.detail).toMatch(/export/i);
  });

  it("6: the auditor sees alice's accesses in the trail", () => {
    const feed = JSON.parse(outputs[5]!);
    expect(feed.items.length).toBeGreaterThan(0);
    expect(feed.items.every((e: { actor: { sub: string } }) => e.actor.sub === 'alice')).toBe(true);
    expect(feed.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['list', 'export']));
  });

  it("7: the report names mallory's export with the SHA-256 of the very file that left", () => {
    const [hashLine, reportJson] = outputs[6]!.split('\n', 2) as [string, string];
    const fileHash = hashLine.split(/\s+/)[0];
    const report = JSON.parse(outputs[6]!.slice(hashLine.length + 1));
    expect(reportJson).toBeDefined();
    expect(report.exports).toHaveLength(1);
    expect(report.exports[0]).toMatchObject({ format: 'csv', status: 'completed', sha256: fileHash });
  });
});
