import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { spawnServerProcess, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { signDevToken } from '../helpers/tokens.js';

// Embedded mode (no DATABASE_URL): the service holds its PGlite folder, and the audit
// CLI, run as a user runs it with the same PGLITE_DIR, must go through the service, never
// open the folder a second time (the second opener kept its own copy: the chain forked
// and a checkpoint vanished on restart).

// Creating a PGlite database takes 15 s on an idle 2-core machine, over 45 s on a busy one.
const STARTUP_MS = 150_000;
const dir = mkdtempSync(join(tmpdir(), 'fieldguard-embedded-cli-'));
const running: Array<Pick<ServerProcess, 'child'>> = [];
afterAll(() => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// No AUTH_DEV_SECRET: service and CLI share the secret generated in the folder.
const serviceEnv = { PGLITE_DIR: dir };
const cliEnv = { PGLITE_DIR: dir, DATABASE_URL: '', AUTH_DEV_SECRET: '' };
const start = async () => {
  const server = await startServerProcess(serviceEnv, STARTUP_MS);
  running.push(server);
  return server;
};
const stop = async (server: ServerProcess) => {
  server.child.kill('SIGTERM');
  expect((await server.exited).code).toBe(0);
};
const auditorToken = () => signDevToken({ sub: 'siem', roles: ['auditor'], expiresIn: '15m' }, readFileSync(join(dir, 'dev-secret'), 'utf8').trim());

describe('the audit CLI beside a running embedded service', () => {
  it('checkpoints and verifies through the service; the checkpoint survives a restart in an intact chain', async () => {
    const first = await start();
    const holder = `the fieldguard service (pid ${first.child.pid}, ${first.base})`;

    const published = await runCli('audit', ['checkpoint'], cliEnv);
    expect(published.code, published.stderr).toBe(0);
    expect(published.stderr).toContain(`${dir} is held by ${holder}: asking it over HTTP`);
    const checkpoint = published.stdout.trim();
    expect(checkpoint).toMatch(/^\d+:[0-9a-f]{64}$/);
    const verified = await runCli('audit', ['verify', '--checkpoint', checkpoint], cliEnv);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, checkpoint: { found: true } });

    // Nothing else may open the folder meanwhile: a second service, or a migration.
    const second = spawnServerProcess({ ...serviceEnv, PORT: '0' });
    running.push(second);
    expect((await second.exited).code).toBe(1);
    expect(second.lines.join('\n')).toContain(`fieldguard cannot start: ${dir} is in use by ${holder}. Stop that one first`);
    const migrate = await runCli('migrate', [], cliEnv);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain(`npm run migrate: refused: ${dir} is in use by ${holder}`);
    const retention = await runCli('retention', [], cliEnv);
    expect(retention.code).toBe(1);
    expect(retention.stderr).toContain(`npm run retention: refused: ${dir} is in use by ${holder}. Stop it first, or let the service apply retention itself (RETENTION_INTERVAL)`);

    await stop(first);
    expect(existsSync(join(dir, 'fieldguard.lock'))).toBe(false);

    const again = await start();
    const auth = { authorization: `Bearer ${await auditorToken()}` };
    const report = await fetch(`${again.base}/v1/audit/verify?checkpoint=${checkpoint}`, { headers: auth });
    expect(await report.json()).toMatchObject({ ok: true, firstBroken: null, checkpoint: { found: true } });
    const feed = await fetch(`${again.base}/v1/audit/events?action=checkpoint`, { headers: auth });
    const events = ((await feed.json()) as { items: Array<Record<string, unknown>> }).items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { sub: `cli:${userInfo().username}`, roles: ['auditor'] }, outcome: 'allowed' });
    await stop(again);

    // With no service running, the CLI opens the folder itself (and says nothing about HTTP).
    const local = await runCli('audit', ['verify', '--checkpoint', checkpoint], cliEnv);
    expect(local.code, local.stderr).toBe(0);
    // Retention likewise, once the service is stopped.
    const retentionLocal = await runCli('retention', ['--dry-run'], cliEnv);
    expect(retentionLocal.code, retentionLocal.stderr).toBe(0);
    expect(retentionLocal.stdout).toContain('Booking: 0 past 10y from startsAt, would delete 0\n');
    expect(local.stderr).toBe('');
    expect(JSON.parse(local.stdout)).toMatchObject({ ok: true, checkpoint: { found: true } });
  }, 2 * STARTUP_MS + 120_000);
});
