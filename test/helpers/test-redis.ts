import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The machine's Redis for tests (TEST_REDIS_URL, else the local one). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether that Redis answers; tests needing it are skipped outside CI when it does not. */
export async function redisReachable(): Promise<boolean> {
  const probe = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * A key namespace of the test's own in that Redis, and a client (opened on first use, so
 * a skipped test opens none) to inspect and clean it.
 */
export function redisNamespace(label: string) {
  const prefix = `fieldguard-test:${label}:${randomUUID()}:`;
  let client: Redis | null = null;
  const open = () => (client ??= new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }));
  return {
    prefix,
    keys: () => open().keys(`${prefix}*`),
    /** Deletes every key of the namespace (the services under test wrote them) and disconnects. */
    async drop() {
      const redis = open();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
