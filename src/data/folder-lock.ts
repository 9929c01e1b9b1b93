import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** Who holds a PGlite folder, as written in its lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** What holds it: SERVICE_HOLDER, `npm run migrate`, ... */
  command: string;
  /** Where the holder serves HTTP, once it listens; null for a CLI or a service still starting. */
  url: string | null;
  startedAt: string;
  /** Tells this holding apart from an earlier one by a process with the same pid. */
  token: string;
}

export interface FolderLock {
  readonly dir: string;
  readonly file: string;
  /** Records where the holder now listens, so a CLI can ask it instead of opening the folder. */
  advertise(url: string): void;
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): void;
}

/** A PGlite folder held by another live process: opening it a second time would fork its data. */
export class FolderInUseError extends Error {
  override name = 'FolderInUseError';
  constructor(readonly dir: string, readonly holder: LockHolder, readonly file: string) {
    super(`${dir} is in use by ${describeHolder(holder)}`);
  }

  /** For the rare lock whose pid now belongs to another program (a reused pid). */
  get staleHint(): string {
    return `(lock file ${this.file}: remove it only if pid ${this.holder.pid} is not fieldguard)`;
  }
}

/** The holder name of the service itself (`npm start`, or the compiled server). */
export const SERVICE_HOLDER = 'the fieldguard service';

/** `the fieldguard service (pid 4242, http://127.0.0.1:8080)`: what, which process, where it listens. */
export function describeHolder(holder: LockHolder): string {
  const host = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
  const where = holder.url ? `, ${holder.url}` : holder.command === SERVICE_HOLDER ? ', still starting' : '';
  return `${holder.command} (pid ${holder.pid}${host}${where})`;
}

const LOCK_NAME = 'fieldguard.lock';
const BREAK_STALE_MS = 10_000;
/** Tokens this process holds: a lock naming our own pid but none of these is a previous life's. */
const ours = new Set<string>();

export const lockFileOf = (dir: string) => join(resolve(dir), LOCK_NAME);

/**
 * Takes the folder for this process. PGlite has no lock of its own, and two processes
 * on one folder each keep their own copy of the database in memory and overwrite each
 * other's files: the audit chain forks. The lock file is created whole (written aside,
 * then hard-linked into place, which fails if it exists) and names its holder; a lock
 * whose process is gone is taken over. Node has no flock, and the lock libraries are
 * either native addons or mtime-based (a paused holder loses its lock): a pid file fits
 * a folder one machine uses.
 */
export function acquireFolderLock(dir: string, command: string): FolderLock {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const file = lockFileOf(abs);
  const holder: LockHolder = { pid: process.pid, hostname: hostname(), command, url: null, startedAt: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(file, holder)) break;
    const current = readHolder(file);
    if (current && isAlive(current)) throw new FolderInUseError(dir, current, file);
    if (attempt >= 5) throw new Error(`cannot take ${file}: other processes keep changing it`);
    breakStale(file, current);
  }
  ours.add(holder.token);
  const stillOurs = () => readHolder(file)?.token === holder.token;
  const release = () => {
    process.off('exit', release);
    ours.delete(holder.token);
    try {
      if (stillOurs()) unlinkSync(file);
    } catch {
      // the folder went away with it
    }
  };
  // A process ending without stop() (process.exit on a shutdown timeout) leaves no lock.
  process.on('exit', release);
  return {
    dir: abs,
    file,
    advertise(url) {
      if (!stillOurs()) return;
      holder.url = url;
      writeFileSync(`${file}.${holder.token}`, JSON.stringify(holder));
      renameSync(`${file}.${holder.token}`, file); // readers see the old content or the new, never half
    },
    release,
  };
}

function createExclusive(file: string, holder: LockHolder): boolean {
  const aside = `${file}.${holder.token}`;
  writeFileSync(aside, JSON.stringify(holder));
  try {
    linkSync(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(aside);
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.token === 'string' ? (parsed as LockHolder) : null;
  } catch {
    return null; // missing, or not ours to understand: treated as stale
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true; // another machine's pid cannot be checked: assume it runs
  if (holder.pid === process.pid) return ours.has(holder.token); // a container restart reuses pid 1
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Removes a stale lock, but only the one judged stale: two processes finding the same
 * dead holder must not have the second remove the lock the first has just taken. The
 * removal runs under a second lock (`.break`, itself taken over after 10 s).
 */
function breakStale(file: string, seen: LockHolder | null): void {
  const breaker = `${file}.break`;
  try {
    writeFileSync(breaker, String(process.pid), { flag: 'wx' });
  } catch {
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAK_STALE_MS) unlinkSync(breaker);
    } catch {
      // gone meanwhile: the next attempt will see
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // another process is breaking it: let it finish
    return;
  }
  try {
    if (readHolder(file)?.token === seen?.token) unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  } finally {
    unlinkSync(breaker);
  }
}
