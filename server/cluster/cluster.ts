import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { RedisMatchmakingQueue } from '../lobby/redis-matchmaking-queue.ts';
import { RedisRoomDirectory } from '../lobby/redis-room-directory.ts';
import { NodePresence } from './node-presence.ts';
import { clusterKeys, DEFAULT_KEY_PREFIX } from './redis-keys.ts';
import { RoomLeases } from './room-lease.ts';

/** How long a node waits for Redis at start before it gives up with a clear error. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;
/**
 * A command unanswered this long fails. Without it a silent link (a partition: no reset, no
 * answer) leaves every command pending for good, and the node would never notice that Redis is
 * away: it would keep taking rooms nobody else can find.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export interface ClusterOptions {
  redisUrl: string;
  nodeId: string;
  /** Key prefix (tests use their own); the default is a hash tag so scripts stay in one slot. */
  keyPrefix?: string;
  /** Published with the node's presence (its port, for operators). */
  info?: Record<string, unknown>;
  onError?: (err: unknown) => void;
}

/** What several nodes share through Redis, opened for one node. */
export interface Cluster {
  nodeId: string;
  redis: Redis;
  presence: NodePresence;
  directory: RedisRoomDirectory;
  queue: RedisMatchmakingQueue;
  leases: RoomLeases;
  /** socket.io's Redis adapter (pub/sub): targeted emits to sockets on other nodes, the admin UI. */
  adapter: ReturnType<typeof createAdapter>;
  /** Leaves the cluster on purpose (presence, listings, queue entries go at once) and disconnects. */
  close(): Promise<void>;
}

/**
 * Connects a node to Redis and registers it. Rejects with a readable error when Redis cannot be
 * reached: with REDIS_URL set, a node never starts on its own.
 */
export async function openCluster(opts: ClusterOptions): Promise<Cluster> {
  // While Redis is away, a command fails after one reconnection attempt instead of queueing for
  // good: rooms play on, and the callers (leases, checkpoints, the queue) report or retry.
  const redis = new Redis(opts.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // Commands issued in one turn of the event loop go out as one write: the once-a-second
    // checkpoint pass issues one save per room at once. A command still times out on its own.
    enableAutoPipelining: true,
  });
  // connect() rejects with "Connection is closed."; the cause (ECONNREFUSED…) came as an error event.
  let lastError: unknown = null;
  redis.on('error', (err: unknown) => {
    lastError = err;
    opts.onError?.(err);
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    const why = lastError ?? err;
    const reason = (why instanceof Error ? why.message : String(why)).replace(/\.$/, '');
    throw new Error(
      `Cannot reach Redis at ${opts.redisUrl} (REDIS_URL): ${reason}. ` +
        'Start Redis, or unset REDIS_URL to run one process on its own.',
      { cause: err },
    );
  }
  const keys = clusterKeys(opts.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const presence = new NodePresence({
    redis,
    nodeId: opts.nodeId,
    keys,
    info: opts.info,
    onError: opts.onError,
  });
  await presence.start();
  const directory = await RedisRoomDirectory.open({ redis, presence, onError: opts.onError });
  const queue = new RedisMatchmakingQueue({ redis, presence });
  const leases = new RoomLeases(redis, keys);
  // The adapter's connections do not pipeline: the subscriber takes only (un)subscribe commands,
  // which ioredis never pipelines, and its publishes go out as they come, as before.
  const pub = redis.duplicate({ enableAutoPipelining: false });
  const sub = redis.duplicate({ enableAutoPipelining: false });
  for (const c of [pub, sub]) c.on('error', (err: unknown) => opts.onError?.(err));
  // Connected before the adapter subscribes: it does not wait for its own subscriptions.
  await Promise.all([pub.connect(), sub.connect()]);
  const adapter = createAdapter(pub, sub, { key: `${opts.keyPrefix ?? DEFAULT_KEY_PREFIX}:socket.io` });
  return {
    nodeId: presence.nodeId,
    redis,
    presence,
    directory,
    queue,
    leases,
    adapter,
    async close() {
      await presence.stop().catch(() => undefined);
      await directory.close().catch(() => undefined);
      await Promise.allSettled([pub.quit(), sub.quit(), redis.quit()]);
    },
  };
}
