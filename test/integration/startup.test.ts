import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { spawnServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The service's own process on embedded PGlite, as `npm start` runs it: what it prints
// while it starts, and how quickly it refuses a port that is taken.

// Creating a PGlite database takes 15 s on an idle 2-core machine, over 45 s on a busy one.
const STARTUP_MS = 150_000;
const dirs: string[] = [];
const running: Array<Pick<ServerProcess, 'child'>> = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldguard-startup-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const listenOn = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const freePort = async () => {
  const server = await listenOn(0);
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
};
const sh = (command: string) =>
  new Promise<string>((resolve, reject) =>
    // As a user would, in the project, with none of the service's variables set.
    execFile('sh', ['-c', command], { cwd: projectFile(), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${command}: ${stderr}`)) : resolve(stdout),
    ),
  );

describe('start-up', () => {
  it('says what it does in plain lines, in order, answers 503 until ready, and prints a token command that works for its folder', async () => {
    const dir = tempDir();
    const port = await freePort();
    const server = spawnServerProcess({ PGLITE_DIR: dir, PORT: String(port) });
    running.push(server);
    await server.waitForLine(/^fieldguard: starting/);
    const early = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringMatching(/starting/) });

    await server.waitForLine(/^fieldguard listening on /, STARTUP_MS);
    const at = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); // the folder, as a regular expression
    const upToBanner = server.lines.slice(0, server.lines.findIndex((l) => l.startsWith('fieldguard listening on')) + 1);
    const expected = [
      new RegExp(`^fieldguard: starting \\(port ${port}, embedded PGlite in ${at}/, creating a new database`),
      new RegExp(`^fieldguard: database started \\(embedded PGlite in ${at}/, \\d+\\.\\d s\\)$`),
      /^fieldguard: migrations applied \(\d+, \d+\.\d s\)$/,
      /^fieldguard: demo data loaded \(12 customers, 11 bookings, 7 documents\)$/,
      /^fieldguard: ready in \d+\.\d s$/,
      new RegExp(`^fieldguard listening on http://127\\.0\\.0\\.1:${port}$`),
    ];
    expect(upToBanner).toHaveLength(expected.length); // nothing else, and no JSON log line, before the banner
    upToBanner.forEach((line, i) => expect(line).toMatch(expected[i]!));
    // The console, first thing after the address (npm start builds it before starting).
    expect(server.lines[upToBanner.length]).toBe(`  console:    http://127.0.0.1:${port}/console`);

    // The folder is not the default one, so the command names it: without it, npm run
    // token would sign with .data/dev-secret, which this service does not know.
    const command = /^ {2}tokens: +(.+)$/.exec(server.lines.find((l) => l.startsWith('  tokens:'))!)![1]!;
    expect(command).toBe(`PGLITE_DIR=${dir} npm run token -- --sub alice --role agent`);
    // The roles a token may carry are the running policy's, in its order.
    expect(server.lines).toContain('              roles: assistant, agent, manager, admin, dpo, auditor');
    const token = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(await sh(command))![0];
    const res = await fetch(`http://127.0.0.1:${port}/v1/customers`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, STARTUP_MS + 60_000);

  it('refuses a taken port at once, before PGlite, with one line naming it and how to pick another', async () => {
    const holder = await listenOn(0);
    const { port } = holder.address() as AddressInfo;
    const dir = tempDir();
    try {
      const started = Date.now();
      const server = spawnServerProcess({ PGLITE_DIR: dir, PORT: String(port) });
      running.push(server);
      const exit = await server.exited;
      expect(exit.code).toBe(1);
      // Under a second on an idle machine, node and tsx included; the bound leaves room for a busy one.
      expect(exit.at - started).toBeLessThan(8_000);
      expect(server.lines).toEqual([
        `fieldguard cannot start: port ${port} on 127.0.0.1 is already in use (another fieldguard, or another program): stop it, or pick another port: PORT=8080 npm start`,
      ]);
      expect(existsSync(join(dir, 'PG_VERSION')), 'PGlite never started').toBe(false);
    } finally {
      holder.close();
    }
  }, 30_000);
});
