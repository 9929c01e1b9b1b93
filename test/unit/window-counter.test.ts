import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createFailureLimiter } from '../../src/auth/failure-limiter.js';
import { localWindowCounter, redisWindowCounter } from '../../src/plugins/window-counter.js';

describe('window counters', () => {
  it('count hits per key in a fixed window, then start again', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const counter = localWindowCounter();
      expect(await counter.hit('a', 1_000)).toEqual({ count: 1, ttlMs: 1_000 });
      vi.setSystemTime(400);
      expect(await counter.hit('a', 1_000)).toEqual({ count: 2, ttlMs: 600 });
      expect(await counter.hit('b', 1_000)).toEqual({ count: 1, ttlMs: 1_000 });
      vi.setSystemTime(1_000);
      expect(await counter.hit('a', 1_000)).toEqual({ count: 1, ttlMs: 1_000 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('bound refused credentials per address: 0 within the bound, then the seconds left', async () => {
    const limiter = createFailureLimiter(2, 60_000);
    expect([await limiter.retryAfter('10.0.0.1'), await limiter.retryAfter('10.0.0.1')]).toEqual([0, 0]);
    expect(await limiter.retryAfter('10.0.0.1')).toBe(60);
    expect(await limiter.retryAfter('10.0.0.2')).toBe(0);
  });

  it('fall back to this instance\'s memory, still counting, when Redis fails', async () => {
    const down = { defineCommand: () => {}, fieldguardHit: () => Promise.reject(new Error('Connection is closed.')) } as unknown as Redis;
    const counter = redisWindowCounter(down, 'fg:', pino({ level: 'silent' }));
    expect((await counter.hit('rate:sub:x', 60_000)).count).toBe(1);
    expect((await counter.hit('rate:sub:x', 60_000)).count).toBe(2);
  });

  it('send each key under the prefix to Redis', async () => {
    const keys: string[] = [];
    const up = { defineCommand: () => {}, fieldguardHit: async (key: string) => (keys.push(key), [3, 500]) } as unknown as Redis;
    expect(await redisWindowCounter(up, 'fg:', pino({ level: 'silent' })).hit('authfail:10.0.0.1', 60_000)).toEqual({ count: 3, ttlMs: 500 });
    expect(keys).toEqual(['fg:authfail:10.0.0.1']);
  });
});
