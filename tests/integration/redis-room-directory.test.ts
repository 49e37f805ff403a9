import { describe, expect, it } from 'vitest';
import { NodePresence } from '../../server/cluster/node-presence.ts';
import { RedisRoomDirectory } from '../../server/lobby/redis-room-directory.ts';
import type { RoomListing } from '../../shared/protocol/messages.ts';
import { eventually, nextEvent, useRedis, type RedisEnv } from '../support/redis.ts';

const redisEnv = useRedis();

function listing(id: string, overrides: Partial<RoomListing> = {}): RoomListing {
  return {
    id,
    phase: 'playing',
    players: ['Ann', 'Bob'],
    scores: [0, 0],
    spectators: 0,
    joinable: false,
    node: 'node1',
    ...overrides,
  };
}

/** One "node": its own connection, presence and directory, like one game process. */
async function startNode(env: RedisEnv, nodeId: string, ttlMs = 5_000, heartbeatMs = 1_000) {
  const redis = env.connect();
  const presence = new NodePresence({ redis, nodeId, keys: env.keys, ttlMs, heartbeatMs });
  await presence.start();
  const directory = await RedisRoomDirectory.open({ redis, presence });
  env.defer(async () => {
    presence.abandon();
    await directory.close();
  });
  return { redis, presence, directory };
}

describe('RedisRoomDirectory on two nodes', () => {
  it('shows each node the listings of both, each with its owner, and tells both of every change', async () => {
    const env = redisEnv();
    const a = await startNode(env, 'node-a');
    const b = await startNode(env, 'node-b');

    const seenByB = nextEvent((l) => b.directory.subscribe(l), 'change on b');
    a.directory.upsert(listing('room-1'));
    await seenByB;
    expect(await b.directory.list()).toEqual([{ ...listing('room-1'), node: 'node-a' }]);

    const seenByA = nextEvent((l) => a.directory.subscribe(l), 'change on a');
    b.directory.upsert(listing('room-2', { phase: 'waiting', players: ['Cy', null], joinable: true }));
    await seenByA;
    const both = [
      { ...listing('room-1'), node: 'node-a' },
      { ...listing('room-2', { phase: 'waiting', players: ['Cy', null], joinable: true }), node: 'node-b' },
    ];
    expect(await a.directory.list()).toEqual(both);
    expect(await b.directory.list()).toEqual(both);

    // A score change reaches the other node; removing reaches it too.
    let changes = 0;
    b.directory.subscribe(() => (changes += 1));
    const scored = nextEvent((l) => b.directory.subscribe(l), 'score change');
    a.directory.upsert(listing('room-1', { scores: [1, 0] }));
    await scored;
    expect((await b.directory.list())[0]).toEqual({
      ...listing('room-1', { scores: [1, 0] }),
      node: 'node-a',
    });
    const removed = nextEvent((l) => b.directory.subscribe(l), 'removal');
    a.directory.remove('room-1');
    await removed;
    expect((await b.directory.list()).map((l) => l.id)).toEqual(['room-2']);
    expect(changes).toBe(2);
  });

  it('never writes or announces an upsert equal to the current listing, nor a removal of an unknown room', async () => {
    const env = redisEnv();
    const a = await startNode(env, 'node-a');
    const b = await startNode(env, 'node-b');
    let changes = 0;
    b.directory.subscribe(() => (changes += 1));
    const first = nextEvent((l) => b.directory.subscribe(l), 'first upsert');
    a.directory.upsert(listing('room-1', { spectators: 2 }));
    await first;
    a.directory.upsert(listing('room-1', { spectators: 2 }));
    a.directory.upsert(structuredClone(listing('room-1', { spectators: 2 })));
    a.directory.remove('never-listed');
    // A change after the no-ops: when it arrives, anything the no-ops had announced arrived before it.
    const marker = nextEvent((l) => b.directory.subscribe(l), 'marker');
    b.directory.upsert(listing('marker'));
    await marker;
    expect(changes).toBe(2);
  });

  it("drops a dead node's listings within its presence TTL and tells the other node", async () => {
    const env = redisEnv();
    const a = await startNode(env, 'node-a', 400, 100);
    const b = await startNode(env, 'node-b', 400, 100);
    a.directory.upsert(listing('room-a'));
    b.directory.upsert(listing('room-b'));
    await a.directory.settled();
    await b.directory.settled();
    expect((await b.directory.list()).map((l) => l.id)).toEqual(['room-a', 'room-b']);

    // node-a stops beating, as a SIGKILLed process would; its listings stay until the TTL runs out.
    const killedAt = Date.now();
    const gone = nextEvent((l) => b.directory.subscribe(l), 'nodes-gone');
    a.presence.abandon();
    await gone;
    expect(Date.now() - killedAt).toBeLessThan(400 + 3 * 100 + 500);
    expect((await b.directory.list()).map((l) => l.id)).toEqual(['room-b']);
    expect((await b.presence.liveNodes()).map((n) => n.id)).toEqual(['node-b']);
    // Its hash is gone too, not only hidden.
    expect(await b.redis.exists(env.keys.roomsPrefix + 'node-a')).toBe(0);
  });

  it('a node taken for dead (a long pause) publishes its listings again on its next beat', async () => {
    const env = redisEnv();
    const a = await startNode(env, 'node-a', 400, 100);
    const b = await startNode(env, 'node-b', 400, 100);
    a.directory.upsert(listing('room-a', { scores: [3, 2] }));
    await a.directory.settled();
    a.presence.abandon();
    await eventually(async () => (await b.directory.list()).length === 0, 'node-a swept');
    // The "paused" node wakes up and beats again: it is re-registered and republishes.
    const back = nextEvent((l) => b.directory.subscribe(l), 'republished');
    await a.presence.beat();
    await back;
    await a.directory.settled();
    expect(await b.directory.list()).toEqual([{ ...listing('room-a', { scores: [3, 2] }), node: 'node-a' }]);
  });

  it('a node whose presence expired publishes again even before anyone swept it', async () => {
    const env = redisEnv();
    // Alone: no other node's heartbeat sweeps it out of the node set.
    const a = await startNode(env, 'node-a', 400, 100);
    a.directory.upsert(listing('room-a'));
    await a.directory.settled();
    a.presence.abandon();
    await eventually(async () => (await a.redis.exists(env.keys.nodePrefix + 'node-a')) === 0, 'expired');
    expect(await a.redis.sismember(env.keys.nodes, 'node-a')).toBe(1);
    expect(await a.directory.list()).toEqual([]);
    await a.presence.beat();
    await a.directory.settled();
    expect(await a.directory.list()).toEqual([{ ...listing('room-a'), node: 'node-a' }]);
  });

  it('a node that stops on purpose takes its listings with it at once', async () => {
    const env = redisEnv();
    const a = await startNode(env, 'node-a');
    const b = await startNode(env, 'node-b');
    a.directory.upsert(listing('room-a'));
    await a.directory.settled();
    const gone = nextEvent((l) => b.directory.subscribe(l), 'nodes-gone');
    await a.presence.stop();
    await gone;
    expect(await b.directory.list()).toEqual([]);
  });

  it('refuses a node id that cannot travel in a URL', () => {
    const env = redisEnv();
    expect(() => new NodePresence({ redis: env.connect(), nodeId: 'a b', keys: env.keys })).toThrow(
      /NODE_ID/,
    );
    expect(() => new NodePresence({ redis: env.connect(), nodeId: 'x'.repeat(65), keys: env.keys })).toThrow(
      /NODE_ID/,
    );
  });
});
