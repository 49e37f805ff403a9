import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { pollUntil } from './resilience.ts';
import { clusterKeys, type ClusterKeys } from '../../server/cluster/redis-keys.ts';

/** The Redis every test runs against (`.ci/run` starts it when it is not running). */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface RedisEnv {
  /** A fresh key prefix for this test (a hash tag, like the default `{pong}`). */
  prefix: string;
  keys: ClusterKeys;
  /** A new connection, closed after the test. */
  connect(): Redis;
  /** Runs `fn` at teardown, before the keys are deleted and the connections closed. */
  defer(fn: () => unknown): void;
}

/**
 * Per-test Redis: each test gets its own key prefix; after it, whatever it deferred runs, every key
 * under the prefix is deleted and every connection it opened is closed.
 */
export function useRedis(): () => RedisEnv {
  let current: { env: RedisEnv; connections: Redis[]; deferred: (() => unknown)[] } | null = null;

  afterEach(async () => {
    if (!current) return;
    const { env, connections, deferred } = current;
    current = null;
    for (const fn of deferred.reverse()) await fn();
    const admin = new Redis(TEST_REDIS_URL);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${escapeGlob(env.prefix)}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
    } finally {
      await admin.quit();
    }
    await Promise.all(
      connections.map((c) => (c.status === 'end' ? undefined : c.quit().catch(() => c.disconnect()))),
    );
  });

  return () => {
    if (current) return current.env;
    const prefix = `{test-${randomUUID()}}`;
    const connections: Redis[] = [];
    const deferred: (() => unknown)[] = [];
    const env: RedisEnv = {
      prefix,
      keys: clusterKeys(prefix),
      connect: () => {
        const c = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
        connections.push(c);
        return c;
      },
      defer: (fn) => deferred.push(fn),
    };
    current = { env, connections, deferred };
    return env;
  };
}

/** Redis SCAN MATCH is a glob: the prefix's braces and dashes are literal, but escape the specials. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/** Resolves on the next call of the listener `subscribe` registers (e.g. a directory change). */
export function nextEvent(
  subscribe: (listener: () => void) => () => void,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = subscribe(() => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/** Polls `check` until it holds, or fails after `timeoutMs` (only where no event exists). */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  await pollUntil(check, (ok) => ok, what, { timeoutMs });
}
