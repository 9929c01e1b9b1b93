import { localWindowCounter, type WindowCounter } from '../plugins/window-counter.js';

/**
 * Counts refused credentials per client address in a fixed window. Each refusal writes
 * an audit row, so without a bound a flood of bad tokens would grow the trail and
 * contend for the chain lock until real users got 503. Past the bound a client gets
 * 429 without a new row; the first refusals of every window are still audited. With a
 * shared counter (Redis) the bound holds across instances, as the chain lock it
 * protects is shared too.
 */
export function createFailureLimiter(max: number, windowMs: number, counter: WindowCounter = localWindowCounter()) {
  return {
    /** Seconds until this address may be audited again, or 0 when it still may. */
    async retryAfter(address: string): Promise<number> {
      if (max <= 0) return 0;
      const { count, ttlMs } = await counter.hit(`authfail:${address}`, windowMs);
      return count > max ? Math.max(1, Math.ceil(ttlMs / 1000)) : 0;
    },
  };
}
