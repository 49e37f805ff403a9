import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodePresence } from '../../server/cluster/node-presence.ts';
import {
  InMemoryMatchmakingQueue,
  type MatchPair,
  type QueueEntry,
} from '../../server/lobby/matchmaking-queue.ts';
import { RedisMatchmakingQueue } from '../../server/lobby/redis-matchmaking-queue.ts';
import { RedisRoomDirectory } from '../../server/lobby/redis-room-directory.ts';
import { nextEvent, useRedis, type RedisEnv } from '../support/redis.ts';

const redisEnv = useRedis();

/** One "node": its own connection, presence and queue, like one game process. */
async function startNode(env: RedisEnv, nodeId: string, ttlMs = 5_000, heartbeatMs = 1_000) {
  const redis = env.connect();
  const presence = new NodePresence({ redis, nodeId, keys: env.keys, ttlMs, heartbeatMs });
  await presence.start();
  env.defer(() => presence.abandon());
  return { redis, presence, queue: new RedisMatchmakingQueue({ redis, presence }) };
}

function entry(playerId: string, socketId: string, enqueuedAtMs: number, rating?: number): QueueEntry {
  const e: QueueEntry = { playerId, socketId, nickname: `nick-${playerId}`, enqueuedAtMs };
  if (rating !== undefined) e.rating = rating;
  return e;
}

const ids = (pairs: MatchPair[]) => pairs.map(({ a, b }) => [a.playerId, b.playerId]);

describe('RedisMatchmakingQueue over several nodes', () => {
  it('200 players queued at once over 3 nodes, paired by all 3 at once: every one exactly once', async () => {
    const env = redisEnv();
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(env, id)));
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        nodes[i % 3]?.queue.enqueue(entry(`p${i}`, `s${i}`, t0 + (i % 7), 1500 + ((i * 37) % 90))),
      ),
    );
    expect((await nodes[0]?.queue.entries())?.length).toBe(200);

    // Every node pairs at once, over and over, until the queue is empty.
    const seen = new Map<string, string>();
    for (let round = 0; round < 20; round += 1) {
      const results = await Promise.all(nodes.map((n) => n.queue.tryMatch(t0 + 1)));
      for (const [k, pairs] of results.entries()) {
        for (const { a, b } of pairs) {
          for (const e of [a, b]) {
            expect(seen.has(e.playerId), `${e.playerId} paired twice`).toBe(false);
            seen.set(e.playerId, `n${k + 1}`);
          }
          expect(Math.abs((a.rating ?? 0) - (b.rating ?? 0))).toBeLessThanOrEqual(100);
        }
      }
      if ((await nodes[0]?.queue.entries())?.length === 0) break;
    }
    expect(seen.size).toBe(200);
    expect(await nodes[1]?.redis.hlen(env.keys.queueSockets)).toBe(0);
  });

  it('a player queued from two tabs on two nodes is one entry: the newer tab, on its node', async () => {
    const env = redisEnv();
    const [a, b] = await Promise.all([startNode(env, 'n1'), startNode(env, 'n2')]);
    if (!a || !b) throw new Error('nodes');
    const first = entry('ann', 'tab-1', 1000);
    expect(await a.queue.enqueue(first)).toBeNull();
    expect(await b.queue.enqueue(entry('ann', 'tab-2', 2000))).toEqual({ ...first, node: 'n1' });
    expect(await a.queue.entries()).toEqual([{ ...entry('ann', 'tab-2', 2000), node: 'n2' }]);
    // The replaced tab cancelling or closing must not take the newer tab's entry with it.
    expect(await a.queue.removeSocket('tab-1')).toBeNull();
    expect(await b.queue.entries()).toHaveLength(1);
    expect(await b.queue.removeSocket('tab-2')).toEqual({ ...entry('ann', 'tab-2', 2000), node: 'n2' });
    expect(await b.queue.removeSocket('tab-2')).toBeNull();
    expect(await a.queue.entries()).toEqual([]);
  });

  it('pairs by rating window: far apart waits, the window widens with the wait, then they meet', async () => {
    const env = redisEnv();
    const a = await startNode(env, 'n1');
    const b = await startNode(env, 'n2');
    await a.queue.enqueue(entry('low', 'sl', 0, 1400));
    await b.queue.enqueue(entry('high', 'sh', 0, 1600));
    await b.queue.enqueue(entry('mid', 'sm', 1, 1480));
    // At once: low (1400) takes mid (1480), the oldest within ±100; high waits.
    expect(ids(await a.queue.tryMatch(10))).toEqual([['low', 'mid']]);
    await a.queue.enqueue(entry('lower', 'sx', 20, 1350));
    // 1600 vs 1350 is 250 apart: ±100 + 3 steps of 50 = 15 s of waiting for the older one.
    expect(await b.queue.tryMatch(14_999)).toEqual([]);
    expect(ids(await b.queue.tryMatch(15_000))).toEqual([['high', 'lower']]);
    expect(b.queue.size).toBe(0); // as last seen by the node that paired
  });

  it("a dead node's queue entries vanish within its presence TTL and are never paired", async () => {
    const env = redisEnv();
    const a = await startNode(env, 'n1', 400, 100);
    const b = await startNode(env, 'n2', 400, 100);
    const directory = await RedisRoomDirectory.open({ redis: b.redis, presence: b.presence });
    env.defer(() => directory.close());
    await a.queue.enqueue(entry('ghost', 'sg', 0));
    await b.queue.enqueue(entry('alive', 'sa', 1));
    const gone = nextEvent((l) => directory.subscribe(l), 'nodes-gone');
    a.presence.abandon();
    await gone;
    expect(await b.queue.tryMatch(2)).toEqual([]);
    expect((await b.queue.entries()).map((e) => e.playerId)).toEqual(['alive']);
    expect(await b.redis.hlen(env.keys.queueEntries)).toBe(1);
    expect(await b.redis.hlen(env.keys.queueSockets)).toBe(1);
  });

  it('between the death and the sweep, an entry of a node whose presence expired is not paired', async () => {
    const env = redisEnv();
    const a = await startNode(env, 'n1');
    const b = await startNode(env, 'n2');
    await a.queue.enqueue(entry('ghost', 'sg', 0));
    await b.queue.enqueue(entry('alive', 'sa', 1));
    a.presence.abandon();
    await a.redis.del(env.keys.nodePrefix + 'n1'); // its presence expired; nobody swept yet
    expect(await b.queue.tryMatch(2)).toEqual([]);
    expect((await b.queue.entries()).map((e) => e.playerId)).toEqual(['alive']);
  });
});

// ---------------------------------------------------------------------------------------------
// Same behaviour as the in-memory queue: random sequences played on both, results compared.

type Op =
  | { kind: 'join'; player: number; tab: number; rating: number; node: number }
  | { kind: 'leave'; player: number; tab: number }
  | { kind: 'match'; advanceMs: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      player: fc.integer({ min: 0, max: 5 }),
      tab: fc.integer({ min: 0, max: 1 }),
      rating: fc.integer({ min: 1200, max: 1800 }),
      node: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('leave' as const),
      player: fc.integer({ min: 0, max: 5 }),
      tab: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('match' as const),
      advanceMs: fc.integer({ min: 0, max: 20_000 }),
    }),
  },
);

const withoutNode = (e: QueueEntry | null): QueueEntry | null => {
  if (!e) return null;
  const rest = { ...e };
  delete rest.node;
  return rest;
};

describe('RedisMatchmakingQueue and InMemoryMatchmakingQueue', () => {
  it('return the same results for the same random joins, leaves, second tabs and waits', async () => {
    const env = redisEnv();
    const nodes = await Promise.all([startNode(env, 'n1'), startNode(env, 'n2')]);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
        run += 1;
        await nodes[0]?.redis.del(env.keys.queueEntries, env.keys.queueSockets);
        const memory = new InMemoryMatchmakingQueue();
        let now = 0;
        for (const op of ops) {
          if (op.kind === 'join') {
            now += 1;
            const e = entry(`p${op.player}`, `r${run}-p${op.player}-t${op.tab}`, now, op.rating);
            const redisQueue = nodes[op.node]?.queue;
            if (!redisQueue) throw new Error('node');
            const fromRedis = await redisQueue.enqueue(e);
            expect(withoutNode(fromRedis)).toEqual(await memory.enqueue(e));
          } else if (op.kind === 'leave') {
            const socketId = `r${run}-p${op.player}-t${op.tab}`;
            const fromRedis = await nodes[0]?.queue.removeSocket(socketId);
            expect(withoutNode(fromRedis ?? null)).toEqual(await memory.removeSocket(socketId));
          } else {
            now += op.advanceMs;
            const fromRedis = (await nodes[1]?.queue.tryMatch(now)) ?? [];
            const fromMemory = await memory.tryMatch(now);
            expect(fromRedis.map(({ a, b }) => ({ a: withoutNode(a), b: withoutNode(b) }))).toEqual(
              fromMemory,
            );
          }
          expect((await nodes[0]?.queue.entries())?.map(withoutNode)).toEqual(await memory.entries());
        }
      }),
      { numRuns: 40 },
    );
  });
});
