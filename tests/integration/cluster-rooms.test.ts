import { describe, expect, it } from 'vitest';
import { openCluster } from '../../server/cluster/cluster.ts';
import { parseCheckpoint } from '../../server/cluster/room-checkpoint.ts';
import type { Config } from '../../server/config.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import type { JoinResult } from '../../shared/protocol/messages.ts';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import {
  DEFAULT_WAIT_MS,
  expectJoined,
  waitFor,
  waitForSnapshot,
  type GameClient,
} from '../support/client.ts';
import { createRoom, useTestEnv } from '../support/env.ts';
import { waitForServer } from '../support/server.ts';
import { forEachStep, type InputLog } from '../../shared/replay/input-log.ts';
import { replay } from '../../shared/replay/replay.ts';
import { stateBits } from '../unit/support/sim.ts';
import { asPlayer, queueJoin } from '../support/lobby.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { TEST_REDIS_URL, useRedis } from '../support/redis.ts';
import { pollUntil } from '../support/resilience.ts';
import type { TestServer } from '../support/server.ts';

const redisEnv = useRedis();
const env = useTestEnv();

/** A node of the arena: a real server on its own port, sharing this test's Redis key prefix. */
async function startNode(nodeId: string, overrides: Partial<Config> = {}): Promise<TestServer> {
  const cluster = await openCluster({ redisUrl: TEST_REDIS_URL, nodeId, keyPrefix: redisEnv().prefix });
  return env.startServer({ nodeId, pointsToWin: 11, ...overrides }, { cluster });
}

/** What a crash looks like from outside: the loop stops, nothing is handed over, presence lapses. */
function crash(node: TestServer): void {
  node.app.scheduler.stop();
  node.app.cluster?.presence.abandon();
}

function join(client: GameClient, code: string, token?: string): Promise<JoinResult> {
  return client.timeout(DEFAULT_WAIT_MS).emitWithAck('room:join', { code, token });
}

/** Joins, asking again while the room's owner is still being settled (its lease has not lapsed yet). */
async function joinWhenResumable(client: GameClient, code: string, token?: string): Promise<JoinResult> {
  let last: JoinResult | null = null;
  await pollUntil(
    async () => (last = await join(client, code, token)),
    (res) => res.ok || res.error !== ErrorCode.ROOM_ELSEWHERE,
    'the room to be resumable here',
    { timeoutMs: 12_000, intervalMs: 200 },
  );
  return last as unknown as JoinResult;
}

async function checkpointScores(node: TestServer, roomId: string): Promise<[number, number] | null> {
  const saved = await node.app.cluster?.leases.loadCheckpoint(roomId);
  const cp = saved ? parseCheckpoint(saved) : null;
  return cp?.match ? cp.match.scores : null;
}

/** Two quick-matched players and a spectator on node A, playing until a point is scored and checkpointed. */
async function matchWithAPoint(a: TestServer) {
  const [p1, p2] = await Promise.all([env.connected(a), env.connected(a)]);
  const matched = Promise.all([waitFor(p1, 'queue:matched'), waitFor(p2, 'queue:matched')]);
  expect(await queueJoin(p1, 'Ann')).toEqual({ ok: true });
  expect(await queueJoin(p2, 'Bob')).toEqual({ ok: true });
  const [[j1], [j2]] = await matched;
  // Equal ratings queued in the same millisecond: either may sit on the left.
  const [left, leftJoin, right, rightJoin] = j1.role === 'left' ? [p1, j1, p2, j2] : [p2, j2, p1, j1];
  const code = leftJoin.code as string;
  const spectator = await env.connected(a);
  expectJoined(await spectator.timeout(DEFAULT_WAIT_MS).emitWithAck('room:watch', { id: leftJoin.room.id }));
  const bots = [new PlayerBot(left, { intent: -1 }).start(), new PlayerBot(right, { intent: -1 }).start()];
  const scored: Snapshot = await waitForSnapshot(left, (s) => s.scores[0] + s.scores[1] >= 1, 15_000);
  for (const b of bots) b.stop();
  const roomId = leftJoin.room.id;
  await pollUntil(
    () => checkpointScores(a, roomId),
    (s) => s !== null && s[0] + s[1] >= scored.scores[0] + scored.scores[1],
    'the point to be checkpointed',
  );
  return { left, right, spectator, code, roomId, tokens: [leftJoin.token, rightJoin.token] as const };
}

describe('several nodes on one Redis', () => {
  it('a room is reached from any node: the others name its owner', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    const host = await env.connected(a);
    const created = await createRoom(host, 'Ann');
    const guest = await env.connected(b);
    const res = await join(guest, created.code);
    expect(res).toMatchObject({ ok: false, error: ErrorCode.ROOM_ELSEWHERE, node: 'node-a' });
    const watcher = await env.connected(b);
    expect(
      await watcher.timeout(DEFAULT_WAIT_MS).emitWithAck('room:watch', { id: created.room.id }),
    ).toMatchObject({ ok: false, error: ErrorCode.ROOM_NOT_FOUND });
    expect(await join(guest, 'no-such-room-code')).toMatchObject({
      ok: false,
      error: ErrorCode.ROOM_NOT_FOUND,
    });
    // Every node lists public rooms with their owner.
    const res2 = await fetch(`${b.url}/healthz`);
    expect(await res2.json()).toMatchObject({ status: 'ok', node: 'node-b', pid: process.pid, redis: 'ok' });
  });

  it('the owner crashes mid-match: another node claims the room and the match resumes with its score', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    const { code, roomId, tokens } = await matchWithAPoint(a);
    const scores = await checkpointScores(a, roomId);
    crash(a);
    // The players' and the spectator's clients find their way to node B (the balancer's job).
    const [left2, right2, spectator2] = await Promise.all([
      env.connected(b),
      env.connected(b),
      env.connected(b),
    ]);
    const leftBack = expectJoined(await joinWhenResumable(left2, code, tokens[0] ?? undefined));
    expect(leftBack).toMatchObject({ role: 'left', node: 'node-b' });
    expect(leftBack.room.phase).toBe('paused');
    expect(expectJoined(await join(right2, code, tokens[1] ?? undefined)).role).toBe('right');
    expect(expectJoined(await join(spectator2, code)).role).toBe('spectator');
    new PlayerBot(left2).start();
    new PlayerBot(right2).start();
    const resumed = await waitForSnapshot(spectator2, (s) => s.phase === 'playing', 10_000);
    expect(resumed.scores).toEqual(scores);
    expect(b.app.rooms.getById(roomId)).toBeDefined();
    // The dead node's listing goes; the room is listed by its new owner.
    await pollUntil(
      () => b.app.directory.list(),
      (rooms) =>
        rooms.some((r) => r.id === roomId && r.node === 'node-b') && !rooms.some((r) => r.node === 'node-a'),
      'the resumed room listed by node-b only',
      { timeoutMs: 8_000, intervalMs: 100 },
    );
  });

  it('a node shutting down hands its rooms over: they resume elsewhere at once, score intact', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    const { left, code, roomId, tokens } = await matchWithAPoint(a);
    const scores = await checkpointScores(a, roomId);
    const notice = waitFor(left, 'server:restarting');
    await a.close();
    await notice;
    const [left2, right2] = await Promise.all([env.connected(b), env.connected(b)]);
    // No lease to wait for: the first join claims it.
    expect(expectJoined(await join(left2, code, tokens[0] ?? undefined)).role).toBe('left');
    expect(expectJoined(await join(right2, code, tokens[1] ?? undefined)).role).toBe('right');
    new PlayerBot(left2).start();
    new PlayerBot(right2).start();
    const resumed = await waitForSnapshot(left2, (s) => s.phase === 'playing', 10_000);
    expect(resumed.scores).toEqual(scores);
  });

  it('a room that does not change is saved once a second, never less often and not twice', async () => {
    const a = await startNode('node-a');
    const { left, roomId } = await matchWithAPoint(a);
    // The bots stopped: once both players count as stalled nothing changes in the room any more
    // (each stall is a change, saved at once; they may come a few ticks apart).
    await waitForSnapshot(left, (s) => s.phase === 'paused', 5_000);
    await waitForServer(
      a.app,
      () =>
        a.app.rooms
          .getById(roomId)
          ?.info()
          .players.every((p) => p?.connected === false) ?? false,
      'both players stalled',
      5_000,
    );
    const ages: number[] = [];
    await pollUntil(
      async () => {
        const saved = await a.app.cluster?.leases.loadCheckpoint(roomId);
        const age = saved ? parseCheckpoint(saved)?.ageMs : undefined;
        if (age !== undefined && age !== ages[ages.length - 1]) ages.push(age);
        return ages.length;
      },
      (n) => n >= 5,
      'five saves of the room',
      { timeoutMs: 8_000 },
    );
    const gaps = ages.slice(1).map((t, i) => t - (ages[i] as number));
    // Every gap between two saves after the first full one: at most a second (and a tick), at least
    // the second less the scan interval. The first may follow the stall's own save by less.
    for (const gap of gaps.slice(1)) {
      expect(gap).toBeLessThanOrEqual(1_000 + 17);
      expect(gap).toBeGreaterThanOrEqual(850);
    }
  });

  it('a match saved over many checkpoints resumes elsewhere with its whole log, and records on from there', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    const { code, roomId, tokens } = await matchWithAPoint(a);
    const redis = redisEnv().connect();
    const logKey = redisEnv().keys.checkpointLogPrefix + roomId;
    // Saves keep coming every second: the log is in several segments, none of it in the checkpoint.
    await pollUntil(
      () => redis.llen(logKey),
      (n) => n >= 3,
      'the log saved in three segments or more',
    );
    const saved = await a.app.cluster?.leases.loadCheckpoint(roomId);
    expect(saved && parseCheckpoint(saved)?.recording?.log).toBeNull();
    // Node A stops playing and hands the room over: its last save holds the log as it stands.
    a.app.scheduler.stop();
    await a.app.ownership?.handOver();
    const owned = a.app.rooms.getById(roomId)?.checkpoint().recording;
    const ownedLog = owned?.log;
    if (!owned || !ownedLog) throw new Error('node A has no recording');
    expect(ownedLog.steps).toBeGreaterThan(0);

    const route = await b.app.ownership?.route({ code });
    if (route?.kind !== 'here')
      throw new Error(`the room did not resume on node B: ${JSON.stringify(route)}`);
    // Read before node B's loop ticks the room (the route resolved in this same turn).
    expect(route.room.checkpoint().recording).toMatchObject({
      id: owned.id,
      seed: owned.seed,
      log: owned.log,
    });

    const [left2, right2] = await Promise.all([env.connected(b), env.connected(b)]);
    expect(expectJoined(await join(left2, code, tokens[0] ?? undefined)).role).toBe('left');
    expect(expectJoined(await join(right2, code, tokens[1] ?? undefined)).role).toBe('right');
    const bots = [new PlayerBot(left2).start(), new PlayerBot(right2).start()];
    await waitForServer(
      b.app,
      () => (route.room.checkpoint().recording?.log?.steps ?? 0) > ownedLog.steps + 100,
      'node B to record 100 more steps',
      10_000,
    );
    for (const bot of bots) bot.stop();
    // What node B recorded, node A's part included, replays exactly to the state node B is in.
    const now = route.room.checkpoint();
    const log = now.recording?.log;
    if (!log || !now.match) throw new Error('node B has no recording');
    expect(stateBits(replay(owned.seed, b.app.rooms.rules, log))).toBe(stateBits(now.match));
    const first = (l: InputLog) => {
      const steps: string[] = [];
      forEachStep(l, (left, right) => {
        if (steps.length < ownedLog.steps) steps.push(`${left}${right}`);
      });
      return steps;
    };
    expect(first(log)).toEqual(first(ownedLog));
  });

  it('two nodes racing to resume one orphaned room: exactly one runs it', async () => {
    const a = await startNode('node-a');
    const nodes = await Promise.all(['node-b', 'node-c', 'node-d'].map((id) => startNode(id)));
    const { roomId, code } = await matchWithAPoint(a);
    crash(a);
    // The lease lapses (what its TTL does after a crash).
    const redis = redisEnv().connect();
    await redis.del(redisEnv().keys.leasePrefix + roomId);
    const routes = await Promise.all(nodes.map((n) => n.app.ownership?.route({ code })));
    expect(routes.filter((r) => r?.kind === 'here')).toHaveLength(1);
    const owner = nodes.find((n) => n.app.rooms.getById(roomId));
    expect(routes.filter((r) => r?.kind === 'elsewhere').map((r) => r && 'node' in r && r.node)).toEqual([
      owner?.config.nodeId,
      owner?.config.nodeId,
    ]);
    expect(nodes.filter((n) => n.app.rooms.getById(roomId))).toHaveLength(1);
  });

  it('quick match pairs players on two nodes: the one elsewhere reconnects to the owner and takes a held seat', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    const ann = await env.connected(a, asPlayer('player-ann-0001'));
    const bob = await env.connected(b, asPlayer('player-bob-0001'));
    const matched = Promise.all([waitFor(ann, 'queue:matched'), waitFor(bob, 'queue:matched')]);
    expect(await queueJoin(ann, 'Ann')).toEqual({ ok: true });
    expect(await queueJoin(bob, 'Bob')).toEqual({ ok: true });
    const [[forAnn], [forBob]] = await matched;
    expect(forAnn.node).toBe(forBob.node);
    // The room is on one of the two nodes; the player connected to the other one moves there.
    const owner = forAnn.node === 'node-a' ? a : b;
    const awayJoin = owner === a ? forBob : forAnn;
    expect(awayJoin.code).not.toBeNull();
    expect(awayJoin.held).toBe(true);
    expect(owner === a ? forAnn.held : forBob.held).toBeUndefined();
    const moved = await env.connected(owner, asPlayer(owner === a ? 'player-bob-0001' : 'player-ann-0001'));
    const seated = expectJoined(await join(moved, awayJoin.code as string, awayJoin.token ?? undefined));
    expect(seated.role).toBe(awayJoin.role);
    expect(seated.room.players.map((p) => p?.nickname).sort()).toEqual(['Ann', 'Bob']);
  });

  it("a node's saves go out once a scan, however often its rooms change: one call carries many rooms", async () => {
    const a = await startNode('node-a');
    const clients = await Promise.all(Array.from({ length: 12 }, () => env.connected(a)));
    const created = await Promise.all(clients.map((c, i) => createRoom(c, `P${i}`)));
    const ids = new Set(created.map((c) => c.room.id));
    // Every script call that saves a checkpoint, as Redis sees it (MONITOR: real traffic, no wrapper).
    const monitor = await redisEnv().connect().monitor();
    redisEnv().defer(() => monitor.disconnect());
    const saves: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() !== 'evalsha') return;
      const keys = args.slice(3, 3 + Number(args[2]));
      const rooms = keys
        .filter((k) => k.startsWith(redisEnv().keys.checkpointPrefix))
        .map((k) => k.slice(redisEnv().keys.checkpointPrefix.length));
      if (rooms.some((r) => ids.has(r))) saves.push(rooms);
    });
    // Every room changes on every tick, as if a point fell in each of them 60 times a second.
    const ownership = a.app.ownership;
    if (!ownership) throw new Error('a node on Redis has an ownership');
    const churn = { tick: () => [...a.app.rooms.all()].forEach((room) => ownership.changed(room)) };
    a.app.scheduler.add(churn);
    try {
      const start = a.app.scheduler.ticks;
      await waitForServer(a.app, () => a.app.scheduler.ticks >= start + 120, 'two seconds of ticks', 5_000);
    } finally {
      a.app.scheduler.remove(churn);
    }
    const saved = saves.flat().filter((r) => ids.has(r));
    // Each change is saved at the next 100 ms scan: about twenty saves of each room in two seconds…
    for (const id of ids) expect(saved.filter((r) => r === id).length).toBeGreaterThanOrEqual(12);
    // …in one call per scan (a call per changed tick would be 120), each carrying many rooms.
    expect(saves.length).toBeLessThanOrEqual(22);
    expect(Math.max(...saves.map((r) => r.length))).toBeGreaterThan(1);
  });

  it('Redis unreachable at start is a clear error, not a silent single node', async () => {
    await expect(openCluster({ redisUrl: 'redis://127.0.0.1:1', nodeId: 'node-x' })).rejects.toThrow(
      /Cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(REDIS_URL\)/,
    );
  });
});
