import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireFolderLock, FolderInUseError, lockFileOf, type FolderLock } from '../../src/data/folder-lock.js';
import { projectFile } from '../../src/paths.js';

const root = mkdtempSync(join(tmpdir(), 'fieldguard-lock-'));
let n = 0;
const freshDir = () => join(root, `d${n++}`);
const held: FolderLock[] = [];
const take = (dir: string, command = 'test') => {
  const lock = acquireFolderLock(dir, command);
  held.push(lock);
  return lock;
};
const writeLock = (dir: string, holder: Record<string, unknown>) => {
  take(dir).release(); // creates the folder
  writeFileSync(lockFileOf(dir), JSON.stringify({ hostname: hostname(), command: 'old', url: null, startedAt: '', token: 'x', ...holder }));
};
/** The pid of a process that has exited: nothing runs under it now (barring reuse within the test). */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
/** What a second acquire throws: the holder it found. */
const refusal = (dir: string) => {
  try {
    take(dir).release();
  } catch (err) {
    return err as FolderInUseError;
  }
  throw new Error(`${dir} was free`);
};

afterEach(() => held.splice(0).forEach((l) => l.release()));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('PGlite folder lock', () => {
  it('names its holder, refuses a second holder (even in the same process) and frees the folder on release', () => {
    const dir = freshDir();
    const lock = take(dir, 'the fieldguard service');
    expect(JSON.parse(readFileSync(lockFileOf(dir), 'utf8'))).toMatchObject({ pid: process.pid, command: 'the fieldguard service', url: null });
    const second = refusal(dir);
    expect(second).toBeInstanceOf(FolderInUseError);
    expect(second.message).toBe(`${dir} is in use by the fieldguard service (pid ${process.pid}, still starting)`);
    lock.release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
    take(dir).release();
  });

  it('tells where the holder listens once it advertises, so a CLI can ask it', () => {
    const dir = freshDir();
    take(dir, 'the fieldguard service').advertise('http://127.0.0.1:8080');
    const found = refusal(dir);
    expect(found.holder).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:8080' });
    expect(found.message).toBe(`${dir} is in use by the fieldguard service (pid ${process.pid}, http://127.0.0.1:8080)`);
  });

  it('refuses while another live process holds the folder', () => {
    const dir = freshDir();
    const other = spawn('sleep', ['30']);
    try {
      writeLock(dir, { pid: other.pid, command: 'npm run migrate' });
      expect(refusal(dir).holder).toMatchObject({ pid: other.pid, command: 'npm run migrate' });
    } finally {
      other.kill();
    }
  });

  it('takes over a lock whose process is gone, a previous life of its own pid, or an unreadable one', () => {
    for (const stale of [{ pid: deadPid() }, { pid: process.pid, token: 'from before a container restart' }, { pid: 'garbage' }]) {
      const dir = freshDir();
      writeLock(dir, stale);
      const lock = take(dir, 'new');
      expect(JSON.parse(readFileSync(lockFileOf(dir), 'utf8'))).toMatchObject({ pid: process.pid, command: 'new' });
      lock.release();
    }
  });

  it('is removed when its process exits without releasing it', () => {
    const dir = freshDir();
    const script = `import { acquireFolderLock } from ${JSON.stringify(projectFile('src', 'data', 'folder-lock.ts'))};
      acquireFolderLock(${JSON.stringify(dir)}, 'child'); process.exit(1);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectFile() });
    expect(child.status, child.stderr.toString()).toBe(1);
    expect(existsSync(lockFileOf(dir))).toBe(false);
  });
});
