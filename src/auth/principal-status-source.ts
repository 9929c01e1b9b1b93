import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../data/database.js';
import { loadStatusEntries } from '../data/principal-status.repository.js';
import { startStatusListener } from './principal-status-listener.js';
import { PrincipalStatusStore } from './principal-status.js';

/** How often the listener proves its session alive; well inside the staleness bound. */
const heartbeatMsFor = (maxStaleMs: number) => Math.min(1000, Math.floor(maxStaleMs / 4));

/**
 * The instance's memory of disabled people, loaded before the first request. On
 * PostgreSQL a listener keeps it current (and it refuses everyone once it may be older
 * than `maxStaleMs`); on embedded PGlite this process is the only one that can change the
 * table, so its own changes keep it current and it never goes stale.
 */
export async function startPrincipalStatus(db: Db, listenUrl: string | null, maxStaleMs: number, connectTimeoutMs: number, log: Logger) {
  if (!listenUrl) {
    const store = new PrincipalStatusStore(null);
    store.reload(await loadStatusEntries((text) => sql.raw<Record<string, unknown>>(text).execute(db)), Date.now());
    return { store, stop: async () => {} };
  }
  const store = new PrincipalStatusStore(maxStaleMs);
  const listener = startStatusListener({ url: listenUrl, store, log, heartbeatMs: heartbeatMsFor(maxStaleMs), heartbeatTimeoutMs: Math.floor(maxStaleMs / 2), connectTimeoutMs });
  await listener.ready;
  return { store, stop: listener.stop };
}
