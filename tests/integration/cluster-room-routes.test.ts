import { describe, expect, it } from 'vitest';
import { openCluster } from '../../server/cluster/cluster.ts';
import { ROOM_CHECKPOINT_TTL_MS } from '../../server/cluster/room-lease.ts';
import { createRoom, useTestEnv } from '../support/env.ts';
import { TEST_REDIS_URL, useRedis } from '../support/redis.ts';
import { pollUntil } from '../support/resilience.ts';

const redisEnv = useRedis();
const env = useTestEnv();

describe("a room's routes in Redis", () => {
  it('the code → room route lives as long as the checkpoint: refreshed with every save', async () => {
    const cluster = await openCluster({
      redisUrl: TEST_REDIS_URL,
      nodeId: 'node-a',
      keyPrefix: redisEnv().prefix,
    });
    const node = await env.startServer({ nodeId: 'node-a' }, { cluster });
    const created = await createRoom(await env.connected(node), 'Ann');
    const redis = redisEnv().connect();
    const codeKey = redisEnv().keys.roomCodePrefix + created.code;
    expect(await redis.pttl(codeKey)).toBeGreaterThan(ROOM_CHECKPOINT_TTL_MS - 5_000);
    // As if the room were nearly ten minutes old. Left alone the route would lapse, and a match
    // older than its TTL could not be found by its code after its node died; the next checkpoint
    // (within a second) sets it back to the checkpoint's TTL.
    await redis.pexpire(codeKey, 60_000);
    await pollUntil(
      () => redis.pttl(codeKey),
      (ttl) => ttl > ROOM_CHECKPOINT_TTL_MS - 5_000,
      'the route to be refreshed',
      { timeoutMs: 3_000, intervalMs: 50 },
    );
    expect(await redis.get(codeKey)).toBe(created.room.id);
  });
});
