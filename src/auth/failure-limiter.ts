import { LRUCache } from 'lru-cache';

/**
 * Counts refused credentials per client address in a fixed window. Each refusal writes
 * an audit row, so without a bound a flood of bad tokens would grow the trail and
 * contend for the chain lock until real users got 503. Past the bound a client gets
 * 429 without a new row; the first refusals of every window are still audited.
 */
export function createFailureLimiter(max: number, windowMs: number) {
  const windows = new LRUCache<string, { started: number; count: number }>({ max: 50_000 });
  return {
    /** Seconds until this address may be audited again, or 0 when it still may. */
    retryAfter(address: string, now = Date.now()): number {
      if (max <= 0) return 0;
      const current = windows.get(address);
      if (!current || now - current.started >= windowMs) {
        windows.set(address, { started: now, count: 1 });
        return 0;
      }
      current.count += 1;
      return current.count > max ? Math.max(1, Math.ceil((current.started + windowMs - now) / 1000)) : 0;
    },
  };
}
