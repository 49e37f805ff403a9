import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  closeClient,
  roundTrip,
  SnapshotLog,
  waitFor,
  waitForSnapshot,
  type GameClient,
} from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { waitForServer, type TestServer } from '../support/server.ts';

const env = useTestEnv();
const GRACE_MS = 300;
/** A room may close up to a tick or two after its deadline is measured from the outside. */
const SLACK_MS = 50;

/** Two players who each hold their paddle against a wall: every serve ends in a point. */
function playOn(left: GameClient, right: GameClient): void {
  new PlayerBot(left, { intent: 1 }).start();
  new PlayerBot(right, { intent: -1 }).start();
}

/** Resolves once the room has closed and nothing of it is left in the game loop. */
async function expectRoomGone(server: TestServer, code: string): Promise<void> {
  await waitForServer(server.app, () => server.app.rooms.size === 0, `room ${code} to close`);
  expect(server.app.rooms.get(code)).toBeUndefined();
  // The room is out of the game loop, and so is the probe that waited for it.
  expect(server.app.scheduler.size).toBe(server.idleTickables);
}

describe('room lifecycle over sockets', () => {
  it('a dropped player pauses the match and resumes it with its seat token on a new socket', async () => {
    const server = await env.startServer({ pointsToWin: 2, reconnectGraceMs: 10_000 });
    const { left, right, code, leftJoin } = await env.startMatch(server);
    playOn(left, right);
    await waitForSnapshot(right, (s) => s.phase === 'playing');

    const paused = waitFor(right, 'room:state', (s) => s.phase === 'paused');
    closeClient(left);
    const [pausedState] = await paused;
    expect(pausedState.players).toEqual([
      { nickname: 'left', connected: false },
      { nickname: 'right', connected: true },
    ]);
    const frozen = await waitForSnapshot(right, (s) => s.phase === 'paused');
    expect(frozen.timerTenths).toBeGreaterThan(0);
    expect(frozen.timerTenths).toBeLessThanOrEqual(100);
    // Nothing moves while a seat is empty.
    const later = await waitForSnapshot(right, (s) => s.serverTimeMs > frozen.serverTimeMs + 100);
    expect(later.phase).toBe('paused');
    expect(later.ball).toEqual(frozen.ball);
    expect(later.scores).toEqual(frozen.scores);
    expect(later.timerTenths).toBeLessThan(frozen.timerTenths);

    const back = await env.connected(server);
    const backLog = new SnapshotLog(back);
    const resumed = waitFor(right, 'room:state', (s) => s.phase === 'countdown');
    const rejoined = await joinRoom(back, { code, token: leftJoin.token ?? undefined });
    expect(rejoined.role).toBe('left');
    expect(rejoined.token).toBe(leftJoin.token);
    expect(rejoined.room.players[0]).toEqual({ nickname: 'left', connected: true });
    const [resumedState] = await resumed;
    expect(resumedState.players.map((p) => p?.connected)).toEqual([true, true]);

    // The new socket's first snapshot shows the match as it stood.
    const welcome = await waitForSnapshot(back);
    expect(welcome.scores).toEqual(frozen.scores);
    new PlayerBot(back, { intent: 1 }).start();
    await waitForSnapshot(right, (s) => s.phase === 'playing');
    const [final] = await waitFor(back, 'room:state', (s) => s.phase === 'finished', 20_000);
    expect(final.winner).not.toBeNull();
    expect(backLog.last?.scores.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
  });

  it('a room whose players both left is held for the grace period, then closes', async () => {
    const server = await env.startServer({ reconnectGraceMs: GRACE_MS });
    const { left, right, code } = await env.startMatch(server);
    await waitForSnapshot(left, (s) => s.phase === 'playing');
    const room = server.app.rooms.get(code);
    expect(room).toBeDefined();

    closeClient(left);
    closeClient(right);
    await waitForServer(server.app, () => room?.memberIds().length === 0, 'both players to be gone');
    const emptySince = performance.now();
    expect(server.app.rooms.size).toBe(1);
    expect(room?.phase).toBe('paused');

    await expectRoomGone(server, code);
    expect(performance.now() - emptySince).toBeGreaterThanOrEqual(GRACE_MS - SLACK_MS);
    expect(room?.isClosed).toBe(true);
  });

  it('a player who does not come back forfeits; the finished room then closes and says so', async () => {
    const finishedRoomTtlMs = 300;
    const server = await env.startServer({ pointsToWin: 11, reconnectGraceMs: GRACE_MS, finishedRoomTtlMs });
    const { left, right, code } = await env.startMatch(server);
    await waitForSnapshot(right, (s) => s.phase === 'playing');

    const paused = waitFor(right, 'room:state', (s) => s.phase === 'paused');
    closeClient(left);
    await paused;
    const before = await waitForSnapshot(right, (s) => s.phase === 'paused');
    const [finished] = await waitFor(right, 'room:state', (s) => s.phase === 'finished');
    expect(finished.winner).toBe('right');
    const last = await waitForSnapshot(right, (s) => s.phase === 'finished');
    // A forfeit leaves the score as it stood.
    expect(last.scores).toEqual(before.scores);

    const [leftInfo] = await waitFor(right, 'room:left');
    expect(leftInfo.reason).toBe('finished');
    await expectRoomGone(server, code);
  });

  it('joining with the seat token from a second tab takes the seat over; the first tab is told', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right, code, leftJoin } = await env.startMatch(server);
    await waitForSnapshot(right, (s) => s.phase === 'playing');

    const newTab = await env.connected(server);
    const evicted = waitFor(left, 'room:left');
    const taken = await joinRoom(newTab, { code, token: leftJoin.token ?? undefined });
    expect(taken.role).toBe('left');
    const [{ reason }] = await evicted;
    expect(reason).toMatch(/newer tab/);
    // The old tab is out of the room: its own input is refused, and the new one plays.
    const refused = waitFor(left, 'server:error');
    left.emit('input', [2, 1, 2]);
    expect((await refused)[0].code).toBe('NOT_IN_ROOM');
    await waitForSnapshot(newTab, (s) => s.phase === 'playing');
    expect(
      server.app.rooms
        .get(code)
        ?.info()
        .players.map((p) => p?.connected),
    ).toEqual([true, true]);
  });

  it('room:leave frees the member at once: acknowledged, paused for the other, no more snapshots', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right } = await env.startMatch(server);
    await waitForSnapshot(left, (s) => s.phase === 'playing');

    const log = new SnapshotLog(left);
    const paused = waitFor(right, 'room:state', (s) => s.phase === 'paused');
    expect(await left.timeout(5_000).emitWithAck('room:leave')).toEqual({ ok: true });
    const countAtLeave = log.received.length;
    await paused;
    // The room goes on ticking for the other player; nothing more reaches the one who left.
    const seen = await waitForSnapshot(right, (s) => s.phase === 'paused');
    await waitForSnapshot(right, (s) => s.serverTimeMs > seen.serverTimeMs + 100);
    await roundTrip(left);
    expect(log.received.length).toBe(countAtLeave);
  });

  it('a private room nobody joins closes at its deadline and tells its creator', async () => {
    const deadlineMs = 300;
    const server = await env.startServer({ privateRoomJoinDeadlineMs: deadlineMs });
    const creator = await env.connected(server);
    const startedAt = performance.now();
    const closed = waitFor(creator, 'room:left');
    const { code } = await createRoom(creator);
    const [{ reason }] = await closed;
    expect(reason).toBe('nobody joined in time');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(deadlineMs - SLACK_MS);
    await expectRoomGone(server, code);
    // The code is dead for everyone.
    const late = await env.connected(server);
    expect(await late.timeout(5_000).emitWithAck('room:join', { code })).toMatchObject({
      ok: false,
      error: 'ROOM_NOT_FOUND',
    });
  });

  it('two clients racing for the last seat: exactly one gets it, the other watches', async () => {
    const server = await env.startServer();
    const host = await env.connected(server);
    const { code } = await createRoom(host);
    const racers = await Promise.all([env.connected(server), env.connected(server), env.connected(server)]);
    const results = await Promise.all(racers.map((c) => joinRoom(c, { code })));
    expect(results.map((r) => r.role).sort()).toEqual(['right', 'spectator', 'spectator']);
    expect(results.filter((r) => r.token !== null)).toHaveLength(1);
    const room = server.app.rooms.get(code);
    expect(room?.info().players.every((p) => p?.connected)).toBe(true);
    expect(room?.spectatorCount).toBe(2);
  });
});
