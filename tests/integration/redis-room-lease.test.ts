import { describe, expect, it } from 'vitest';
import { RoomLeases } from '../../server/cluster/room-lease.ts';
import { eventually, useRedis } from '../support/redis.ts';

const redisEnv = useRedis();

describe('RoomLeases', () => {
  it('two nodes racing to claim one room: exactly one wins, every time (500 races)', async () => {
    const env = redisEnv();
    // Each node has its own connection, so the claims really race inside Redis.
    const one = new RoomLeases(env.connect(), env.keys);
    const two = new RoomLeases(env.connect(), env.keys);
    for (let race = 0; race < 500; race += 1) {
      const room = `room-${race}`;
      const [a, b] = await Promise.all([one.claim(room, 'node-1', 5_000), two.claim(room, 'node-2', 5_000)]);
      expect(Number(a) + Number(b), `race ${race}`).toBe(1);
      expect(await one.owner(room)).toBe(a ? 'node-1' : 'node-2');
    }
  });

  it('only the owner saves (which renews), releases and checkpoints; a claim by the owner keeps its lease', async () => {
    const env = redisEnv();
    const leases = new RoomLeases(env.connect(), env.keys);
    expect(await leases.claim('r', 'n1', 5_000)).toBe(true);
    expect(await leases.claim('r', 'n1', 5_000)).toBe(true);
    expect(await leases.claim('r', 'n2', 5_000)).toBe(false);

    const bytes = new Uint8Array([0, 1, 2, 250, 255, 0, 13, 10]);
    expect(await leases.saveCheckpoint('r', 'n2', new Uint8Array([9]))).toBe(false);
    expect(await leases.loadCheckpoint('r')).toBeNull();
    expect(await leases.saveCheckpoint('r', 'n1', bytes)).toBe(true);
    expect(await leases.loadCheckpoint('r')).toEqual(bytes);

    expect(await leases.release('r', 'n2')).toBe(false);
    expect(await leases.owner('r')).toBe('n1');
    expect(await leases.release('r', 'n1')).toBe(true);
    expect(await leases.owner('r')).toBeNull();
    // The checkpoint outlives the lease: the next owner resumes from it.
    expect(await leases.claim('r', 'n2', 5_000)).toBe(true);
    expect(await leases.loadCheckpoint('r')).toEqual(bytes);
    await leases.drop('r', 'n2');
    expect(await leases.loadCheckpoint('r')).toBeNull();
    expect(await leases.owner('r')).toBeNull();
  });

  it("a dead owner's lease expires and then exactly one of the racing survivors takes it", async () => {
    const env = redisEnv();
    const leases = [1, 2, 3].map(() => new RoomLeases(env.connect(), env.keys));
    const [dead, ...survivors] = leases;
    if (!dead) throw new Error('leases');
    expect(await dead.claim('r', 'dead', 200)).toBe(true);
    expect(await survivors[0]?.claim('r', 's1', 5_000)).toBe(false);
    // The owner stops renewing; the survivors poll, as nodes would on a timer.
    await eventually(async () => (await dead.owner('r')) === null, 'lease expired', 3_000);
    const claims = await Promise.all(survivors.map((l, i) => l.claim('r', `s${i + 1}`, 5_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // The dead owner, back from a pause, can neither renew (a save renews) nor overwrite the checkpoint.
    const winner = await dead.owner('r');
    expect(await dead.saveCheckpoint('r', 'dead', new Uint8Array([1]))).toBe(false);
    expect(await dead.owner('r')).toBe(winner);
  });

  it('a save renews the lease and appends its log segment beside the checkpoint; a reset starts the list over', async () => {
    const env = redisEnv();
    const redis = env.connect();
    const leases = new RoomLeases(redis, env.keys);
    const leaseKey = env.keys.leasePrefix + 'r';
    const logKey = env.keys.checkpointLogPrefix + 'r';
    const bytes = new Uint8Array([7, 0, 255]);
    expect(await leases.claim('r', 'n1', 300)).toBe(true);
    const save = (node: string, reset: boolean, segment: string | null) =>
      leases.saveCheckpoint('r', node, bytes, { log: { reset, segment }, leaseTtlMs: 5_000 });
    expect(await save('n1', true, 'one')).toBe(true);
    expect(await redis.pttl(leaseKey)).toBeGreaterThan(1_000);
    expect(await save('n1', false, 'two')).toBe(true);
    expect(await save('n1', false, null)).toBe(true);
    expect(await leases.loadCheckpointWithLog('r')).toEqual({ bytes, segments: ['one', 'two'] });
    // The log lives as long as the checkpoint.
    expect(await redis.pttl(logKey)).toBeGreaterThan(9 * 60_000);

    // Another node is fenced out: nothing written, the lease not renewed.
    expect(await leases.claim('r2', 'n1', 300)).toBe(true);
    expect(
      await leases.saveCheckpoint('r2', 'n2', bytes, {
        log: { reset: true, segment: 'x' },
        leaseTtlMs: 5_000,
      }),
    ).toBe(false);
    expect(await redis.pttl(env.keys.leasePrefix + 'r2')).toBeLessThanOrEqual(300);
    expect(await leases.loadCheckpointWithLog('r2')).toBeNull();
    expect(await redis.exists(env.keys.checkpointLogPrefix + 'r2')).toBe(0);
    expect(await save('n2', true, 'x')).toBe(false);
    expect(await redis.lrange(logKey, 0, -1)).toEqual(['one', 'two']);

    expect(await save('n1', true, 'three')).toBe(true);
    expect(await redis.lrange(logKey, 0, -1)).toEqual(['three']);
    expect(await save('n1', true, null)).toBe(true);
    expect(await redis.exists(logKey)).toBe(0);
    expect(await save('n1', false, 'four')).toBe(true);
    await leases.drop('r', 'n1');
    expect(await leases.loadCheckpointWithLog('r')).toBeNull();
    expect(await redis.exists(logKey)).toBe(0);
  });

  it("saves several rooms in one call, each on its own lease: another node's room and an unleased one are left alone", async () => {
    const env = redisEnv();
    const redis = env.connect();
    const leases = new RoomLeases(redis, env.keys);
    const routeKey = `${env.keys.roomCodePrefix}code-a`;
    await redis.set(routeKey, 'a', 'PX', 1_000);
    expect(await leases.claim('a', 'n1', 300)).toBe(true);
    expect(await leases.claim('b', 'n2', 300)).toBe(true);
    expect(await leases.claim('c', 'n1', 300)).toBe(true);
    const bytes = (n: number) => new Uint8Array([n, 0, 255]);
    const saved = await leases.saveCheckpoints(
      'n1',
      [
        { roomId: 'a', bytes: bytes(1), log: { reset: true, segment: 'a1' }, routes: [routeKey] },
        { roomId: 'b', bytes: bytes(2), log: { reset: true, segment: 'b1' } },
        { roomId: 'free', bytes: bytes(3) },
        { roomId: 'c', bytes: bytes(4), log: { reset: false, segment: null } },
      ],
      { leaseTtlMs: 5_000 },
    );
    expect(saved).toEqual([true, false, false, true]);
    expect(await leases.loadCheckpointWithLog('a')).toEqual({ bytes: bytes(1), segments: ['a1'] });
    expect(await leases.loadCheckpointWithLog('b')).toBeNull();
    expect(await leases.loadCheckpointWithLog('free')).toBeNull();
    expect(await leases.owner('free')).toBeNull();
    expect(await leases.loadCheckpointWithLog('c')).toEqual({ bytes: bytes(4), segments: [] });
    // Saved rooms' leases are renewed and their routes kept as long as the checkpoint; b's is not touched.
    expect(await redis.pttl(env.keys.leasePrefix + 'a')).toBeGreaterThan(1_000);
    expect(await redis.pttl(env.keys.leasePrefix + 'c')).toBeGreaterThan(1_000);
    expect(await redis.pttl(env.keys.leasePrefix + 'b')).toBeLessThanOrEqual(300);
    expect(await redis.pttl(routeKey)).toBeGreaterThan(9 * 60_000);
    expect(await leases.saveCheckpoints('n1', [])).toEqual([]);
  });
});
