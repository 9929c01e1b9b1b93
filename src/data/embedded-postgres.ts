import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireFolderLock, type FolderLock } from './folder-lock.js';

export interface EmbeddedPostgres {
  url: string;
  /** Closes PGlite, then frees its folder. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Sockets served at once (PGlite still runs one query at a time). */
  maxConnections?: number;
  /** Who opens the folder, named to whoever finds it taken (`npm run migrate`). */
  command?: string;
  /** A lock the caller took earlier on the same folder (the server, before its port check); stop() releases it. */
  lock?: FolderLock;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly) and serves it over the wire protocol
 * on a free loopback port, so the very same pg pool and kysely dialect serve both modes.
 * `dataDir` undefined keeps the database in memory (tests). A folder is locked first, so
 * no second process can open it (see folder-lock.ts): that throws FolderInUseError
 * naming the holder. PGlite runs one query at a time; tests open a second connection to
 * inspect tables while the app is idle.
 */
export async function startEmbeddedPostgres(dataDir: string | undefined, options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  const lock = dataDir ? (options.lock ?? acquireFolderLock(dataDir, options.command ?? 'fieldguard')) : null;
  if (lock && dataDir && lock.dir !== resolve(dataDir)) throw new Error(`the lock given is for ${lock.dir}, not ${dataDir}`);
  try {
    const db = await PGlite.create(lock ? { dataDir: lock.dir } : {});
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: options.maxConnections ?? 1 });
    await server.start().catch(async (err: unknown) => {
      await db.close();
      throw err;
    });
    return {
      url: `postgres://postgres@${server.getServerConn()}/postgres`,
      async stop() {
        try {
          await server.stop();
          await db.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}
