import pg from 'pg';
import type { Logger } from 'pino';
import { loadStatusEntries, PRINCIPAL_STATUS_CHANNEL, type StatusEntry } from '../data/principal-status.repository.js';
import type { PrincipalStatusStore } from './principal-status.js';

/** Pause between two attempts to reconnect. */
const RETRY_MS = 200;

export interface StatusListenerOptions {
  url: string;
  store: PrincipalStatusStore;
  log: Logger;
  /** How often the connection proves itself alive (and reconnects when it is not). */
  heartbeatMs: number;
  /** A heartbeat unanswered this long drops the connection (a busy server is not a lost one). */
  heartbeatTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface StatusListener {
  /** Resolves after the first attempt to connect and load (failed or not: then it keeps trying). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps a store current from PostgreSQL's LISTEN/NOTIFY, on a connection of its own (a
 * pooled connection is handed to other requests, and LISTEN belongs to a session).
 *
 * On every (re)connection it listens first and then reads the whole table, so no change
 * falls between the two. Every `heartbeatMs` a `select 1` proves the session alive: the
 * server sends pending notifications before it answers, so when the answer arrives the
 * store knew every change committed before the heartbeat was sent, and it is confirmed
 * current as of then. A heartbeat that fails or goes unanswered too long drops the
 * connection; the next tick reconnects. Meanwhile the store ages, and past its bound
 * requests fail closed.
 */
export function startStatusListener({ url, store, log, heartbeatMs, heartbeatTimeoutMs, connectTimeoutMs }: StatusListenerOptions): StatusListener {
  let client: pg.Client | null = null;
  let stopped = false;
  let busy = false;
  let lost = false;

  const drop = (why: string) => {
    const gone = client;
    client = null;
    if (!gone) return;
    gone.removeAllListeners('notification');
    gone.end().catch(() => {});
    if (!lost && !stopped) log.warn({ why }, 'principal status listener lost its connection; reconnecting');
    lost = true;
    if (!stopped) setTimeout(() => void tick(), RETRY_MS).unref();
  };

  const connect = async () => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: 'fieldguard-listener', keepAlive: true });
    c.on('error', () => (client === c ? drop('connection error') : undefined));
    c.on('end', () => (client === c ? drop('connection ended') : undefined));
    c.on('notification', (message) => {
      if (client !== c || message.channel !== PRINCIPAL_STATUS_CHANNEL) return;
      const entry = parseAnnouncement(message.payload);
      // Something we cannot read: reconnect, which reloads the whole table.
      if (entry) store.apply(entry);
      else drop('unreadable announcement');
    });
    try {
      await c.connect();
      client = c;
      await c.query(`LISTEN ${PRINCIPAL_STATUS_CHANNEL}`);
      const asOf = Date.now();
      store.reload(await loadStatusEntries((text) => c.query(text)), asOf);
      if (lost) log.info('principal status listener reconnected; status reloaded');
      lost = false;
    } catch (err) {
      if (client === c) drop('reload failed');
      else c.end().catch(() => {});
      throw err;
    }
  };

  const heartbeat = async () => {
    const c = client!;
    const sent = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('heartbeat timed out')), heartbeatTimeoutMs);
    });
    try {
      await Promise.race([c.query('select 1'), late]);
      if (client === c) store.confirm(sent);
    } finally {
      clearTimeout(timer);
    }
  };

  const tick = async () => {
    if (stopped || busy) return;
    busy = true;
    try {
      if (client) await heartbeat();
      else await connect();
    } catch {
      drop('heartbeat failed');
      lost = true;
    } finally {
      busy = false;
    }
    // Disconnected: try again soon rather than a whole period later, so the memory is
    // current again as soon as the database is (the request pool reconnects on demand).
    if (!client && !stopped) setTimeout(() => void tick(), RETRY_MS).unref();
  };

  const interval = setInterval(() => void tick(), heartbeatMs);
  interval.unref();
  busy = true;
  const ready = connect()
    .catch((err: unknown) => {
      lost = true;
      log.warn({ code: (err as { code?: string }).code }, 'principal status listener could not connect; requests are refused until it does');
    })
    .finally(() => {
      busy = false;
    });
  return {
    ready,
    stop: async () => {
      stopped = true;
      clearInterval(interval);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}

/** `{"sub": "...", "jti": "", "disabled": true, "revision": 42}`, as the table's trigger writes it; null if it is not that. */
export function parseAnnouncement(payload: string | undefined): StatusEntry | null {
  try {
    const v = JSON.parse(payload ?? '') as Record<string, unknown>;
    if (typeof v.sub !== 'string' || typeof v.jti !== 'string' || typeof v.disabled !== 'boolean' || !Number.isSafeInteger(v.revision)) return null;
    return { sub: v.sub, jti: v.jti, disabled: v.disabled, revision: BigInt(v.revision as number) };
  } catch {
    return null;
  }
}
