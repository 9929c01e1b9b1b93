import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Log } from '../log.js';

/** A hit counted in a fixed window: how many so far, and how long until the window ends. */
export interface WindowCount {
  count: number;
  ttlMs: number;
}

/** Fixed-window counters by key: the request rate limit and the refused-credential bound. */
export interface WindowCounter {
  hit(key: string, windowMs: number): Promise<WindowCount>;
}

/** Counters in this process's memory: each instance counts on its own. */
export function localWindowCounter(): WindowCounter {
  const windows = new LRUCache<string, { started: number; count: number }>({ max: 50_000 });
  return {
    async hit(key, windowMs) {
      const now = Date.now();
      const current = windows.get(key);
      if (!current || now - current.started >= windowMs) {
        windows.set(key, { started: now, count: 1 });
        return { count: 1, ttlMs: windowMs };
      }
      current.count += 1;
      return { count: current.count, ttlMs: current.started + windowMs - now };
    },
  };
}

// One round trip, atomic: the first hit of a window starts its expiry.
const HIT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end
return {c, t}`;

/** A Redis client for the counters: fails fast instead of queueing while Redis is away. */
export function connectRedis(url: string, log: Log, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    // A command sent while disconnected fails at once (the counter falls back to memory)
    // rather than waiting, holding the request, until Redis is back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let lastWarned = 0;
  redis.on('error', (err: Error & { code?: string }) => {
    // ioredis reports every failed reconnection; one line per 10 s says enough.
    if (Date.now() - lastWarned < 10_000) return;
    lastWarned = Date.now();
    log.warn({ err: { code: err.code, type: err.name } }, 'redis unavailable: rate limits counted per instance until it is back');
  });
  return redis;
}

/**
 * Counters shared by every instance in Redis, under `prefix`. While Redis cannot answer,
 * each instance counts in its own memory: the limits then hold per instance (N times the
 * limit behind N instances, as without Redis), neither lifted (fail open) nor turned into
 * an outage of every request (fail closed). See docs/scaling.md.
 */
export function redisWindowCounter(redis: Redis, prefix: string, log: Log): WindowCounter {
  const fallback = localWindowCounter();
  // EVALSHA, sending the script itself only when Redis does not know it yet.
  if (!('fieldguardHit' in redis)) redis.defineCommand('fieldguardHit', { numberOfKeys: 1, lua: HIT });
  const run = redis as unknown as { fieldguardHit(key: string, windowMs: number): Promise<[number, number]> };
  let lastWarned = 0;
  return {
    async hit(key, windowMs) {
      try {
        const [count, ttlMs] = await run.fieldguardHit(prefix + key, windowMs);
        return { count, ttlMs };
      } catch (err) {
        if (Date.now() - lastWarned >= 10_000) {
          lastWarned = Date.now();
          log.warn({ err: { type: (err as Error).name } }, 'rate-limit counter fell back to this instance\'s memory');
        }
        return fallback.hit(key, windowMs);
      }
    },
  };
}
