import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL server of the test's own, on a spare loopback port, that fault tests may
 * stop, kill and restart: CI's shared server is never touched. initdb and pg_ctl refuse
 * to run as root, so under root they run as the `postgres` OS user.
 */
export interface PrivatePostgres {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  port: number;
  /** URL of another database on this server. */
  urlFor(database: string): string;
  /** Fast shutdown: sessions are terminated, as in a planned restart or failover. */
  stop(): Promise<void>;
  /** Immediate shutdown, as in a crash: no checkpoint, recovery on the next start. */
  kill(): Promise<void>;
  /** Starts the same cluster again on the same port. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server (if running) and deletes its folder. */
  destroy(): Promise<void>;
}

/** PG_BIN, or the newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl. */
function findBinaries(): string {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
      : [];
  const bin = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!bin) {
    // Fail loudly: a fault suite that silently skips proves nothing.
    throw new Error(
      'Fault tests need initdb and pg_ctl (PostgreSQL server packages) in PG_BIN or /usr/lib/postgresql/<version>/bin; none found.',
    );
  }
  return bin;
}

/** uid/gid to run the server binaries as: `postgres` when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('Fault tests run as root, but there is no `postgres` OS user to run initdb/pg_ctl as.');
  }
}

async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findBinaries();
  const user = serverUser();
  const root = mkdtempSync(join(tmpdir(), 'fieldguard-pg-'));
  if (user) chownSync(root, user.uid, user.gid);
  const data = join(root, 'data');
  const logFile = join(root, 'server.log');
  const port = await sparePort();

  const run = (tool: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      execFile(join(bin, tool), args, { ...user, cwd: root, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' }, timeout: 60_000 }, (err, _out, stderr) => {
        if (!err) return resolve();
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
        reject(new Error(`${tool} ${args[0] ?? ''} failed: ${stderr.trim() || err.message}\n${log}`, { cause: err }));
      });
    });
  // fsync off (these clusters live for one test file), but commits stay synchronous: an
  // immediate shutdown must not lose a commit the app was told about, as in production.
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=50',
    '-c shared_buffers=16MB',
  ].join(' ');
  const pgCtl = (...args: string[]) => run('pg_ctl', [...args, '-D', data, '-s']);
  const start = () => pgCtl('start', '-w', '-t', '30', '-l', logFile, '-o', options);
  let running = false;

  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  await start();
  running = true;

  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const handle: PrivatePostgres = {
    adminUrl,
    port,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      await pgCtl('stop', '-w', '-m', 'fast');
      running = false;
    },
    async kill() {
      await pgCtl('stop', '-w', '-m', 'immediate');
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async restart() {
      if (running) await handle.stop();
      await handle.start();
    },
    async destroy() {
      if (running) await handle.kill().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return handle;
}
