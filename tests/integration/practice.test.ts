import { describe, expect, it } from 'vitest';
import { FIELD_HEIGHT_PX } from '../../shared/constants.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import type { RoomInfo } from '../../shared/protocol/messages.ts';
import { expectJoined, roundTrip, SnapshotLog, waitForSnapshot, type GameClient } from '../support/client.ts';
import { useTestEnv } from '../support/env.ts';
import { LobbyView, leaveRoom, startManualServer, watch } from '../support/lobby.ts';
import type { TestServer } from '../support/server.ts';

const env = useTestEnv();
const POINTS_TO_WIN = 3;
/** Ample for three points against an idle human: a minute of game time per point. */
const MAX_TICKS = 60 * 60 * POINTS_TO_WIN;

const failed = (error: ErrorCode) => expect.objectContaining({ ok: false, error });

function practice(client: GameClient, req: { level: string; nickname?: string }) {
  // Typed loosely so a test can send a level the protocol does not know.
  return client.timeout(5_000).emitWithAck('practice:create', req as { level: 'hard' });
}

function recordStates(client: GameClient): RoomInfo[] {
  const states: RoomInfo[] = [];
  client.on('room:state', (info) => states.push(info));
  return states;
}

const roomOf = (server: TestServer, id: string) => server.app.rooms.getById(id);

describe('practice against the computer', () => {
  it('on hard, the computer takes the right seat and beats a human who never moves', async () => {
    const { server, runTicks, runUntil } = await startManualServer(env, { pointsToWin: POINTS_TO_WIN });
    const human = await env.connected(server);
    const states = recordStates(human);
    const log = new SnapshotLog(human);

    const join = expectJoined(await practice(human, { level: 'hard', nickname: 'Ann' }));
    expect(join.role).toBe('left');
    expect(join.token).toEqual(expect.any(String));
    expect(join.rules.pointsToWin).toBe(POINTS_TO_WIN);
    expect(join.room).toMatchObject({
      kind: 'practice',
      phase: 'countdown',
      players: [
        { nickname: 'Ann', connected: true },
        { nickname: 'Computer (hard)', connected: true },
      ],
      spectators: 0,
    });
    const room = roomOf(server, join.room.id);
    expect(room?.kind).toBe('practice');

    // The human sends nothing at all; the computer plays through the game loop alone.
    runUntil(() => room?.phase === 'finished', 'the practice match to finish', MAX_TICKS);
    runTicks(2);
    await roundTrip(human);

    const final = states.at(-1);
    expect(final?.phase).toBe('finished');
    expect(final?.winner).toBe('right');
    const last = log.last;
    expect(last?.phase).toBe('finished');
    expect(last?.scores).toEqual([expect.any(Number), POINTS_TO_WIN]);
    expect(last?.scores[0]).toBeLessThan(POINTS_TO_WIN);
    // The computer's paddle moved; the human's never did.
    // (Snapshots carry positions quantized, hence "close to".)
    const humanYs = new Set(log.snapshots.map((s) => s.paddles[0]));
    expect(humanYs.size).toBe(1);
    expect([...humanYs][0]).toBeCloseTo(FIELD_HEIGHT_PX / 2, 1);
    const computerYs = log.snapshots.map((s) => s.paddles[1]);
    expect(Math.max(...computerYs) - Math.min(...computerYs)).toBeGreaterThan(20);
  });

  it('is listed and watchable like any match; the computer leaves with the room when the person goes', async () => {
    const { server, runTicks, runUntil } = await startManualServer(env, {
      pointsToWin: 11,
      reconnectGraceMs: 500,
    });
    const viewer = await env.connected(server);
    const lobby = await LobbyView.subscribe(viewer);
    const human = await env.connected(server);
    const join = expectJoined(await practice(human, { level: 'easy', nickname: 'Ann' }));
    expect(join.room.players[1]?.nickname).toBe('Computer (easy)');
    // One scheduler target: the room, which steps its computer player itself.
    expect(server.app.scheduler.size).toBe(server.idleTickables + 1);

    runTicks(30);
    const listed = await lobby.until((rooms) => rooms.some((r) => r.id === join.room.id));
    expect(listed.find((r) => r.id === join.room.id)).toMatchObject({
      players: ['Ann', 'Computer (easy)'],
      joinable: false,
    });
    const watcher = await env.connected(server);
    const watched = expectJoined(await watch(watcher, { id: join.room.id }));
    expect(watched.role).toBe('spectator');
    expect(watched.code).toBeNull();
    expect(await leaveRoom(watcher)).toEqual({ ok: true });

    const room = roomOf(server, join.room.id);
    expect(await leaveRoom(human)).toEqual({ ok: true });
    runUntil(() => room?.isClosed === true, 'the practice room to close', 60);
    expect(server.app.rooms.size).toBe(0);
    expect(server.app.scheduler.size).toBe(server.idleTickables);
  });

  it('refuses an unknown level, and a player who is already in a room', async () => {
    const server = await env.startServer();
    const human = await env.connected(server);
    expect(await practice(human, { level: 'impossible' })).toEqual(failed(ErrorCode.BAD_REQUEST));
    expect(server.app.rooms.size).toBe(0);
    const join = expectJoined(await practice(human, { level: 'normal' }));
    expect(await practice(human, { level: 'normal' })).toEqual(failed(ErrorCode.ALREADY_IN_ROOM));
    expect(server.app.rooms.size).toBe(1);
    expect(join.room.players[1]?.nickname).toBe('Computer (normal)');
    await waitForSnapshot(human, (s) => s.phase === 'playing');
  });
});
