import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import type { RoomInfo } from '../../shared/protocol/messages.ts';
import { expectJoined, roundTrip, waitFor, waitForSnapshot, type GameClient } from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { LobbyView, leaveRoom, quickMatch, rematch, startManualServer, watch } from '../support/lobby.ts';

const env = useTestEnv();
/** Ticks within which a room broadcasts at least one snapshot (60 Hz ticks, 30 Hz snapshots). */
const SNAPSHOT_TICKS = 2;

const failed = (error: ErrorCode) => expect.objectContaining({ ok: false, error });

/** Every room:state a client receives from now on. */
function recordStates(client: GameClient): RoomInfo[] {
  const states: RoomInfo[] = [];
  client.on('room:state', (info) => states.push(info));
  return states;
}

describe('spectators', () => {
  it('come and go by room:watch, room:leave and disconnect; everyone in the room sees the right count', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right, room } = await quickMatch(env, server, ['Ann', 'Bob']);
    const watchers = await Promise.all([env.connected(server), env.connected(server), env.connected(server)]);
    const members: GameClient[] = [left, right];
    /** What each client heard of the room, in order: its join answers and every room:state. */
    const states = new Map<GameClient, RoomInfo[]>(
      [left, right, ...watchers].map((m) => [m, recordStates(m)]),
    );
    const latest = (m: GameClient) => states.get(m)?.at(-1);
    const watchAs = async (w: GameClient, nickname?: string) => {
      const join = expectJoined(await watch(w, { id: room.id, nickname }));
      states.get(w)?.push(join.room);
      members.push(w);
      return join;
    };

    /**
     * Runs `action`, then checks that everyone still in the room got a room:state with `count`
     * spectators, and nothing else since.
     */
    const expectCount = async (count: number, action: () => Promise<unknown>) => {
      const told = members.map((m) => waitFor(m, 'room:state', (s) => s.spectators === count));
      await action();
      await Promise.all(told);
      await Promise.all(members.map(roundTrip));
      for (const m of members) expect(latest(m)?.spectators).toBe(count);
      expect(room.spectatorCount).toBe(count);
    };

    for (const [i, w] of watchers.entries()) {
      await expectCount(i + 1, async () => {
        const join = await watchAs(w, `watcher ${i}`);
        expect(join.role).toBe('spectator');
        // A watcher never learns the room's code, and gets no seat token.
        expect(join.code).toBeNull();
        expect(join.token).toBeNull();
        expect(join.room.id).toBe(room.id);
        expect(join.room.spectators).toBe(i + 1);
        expect(join.room.players.map((p) => p?.nickname)).toEqual(['Ann', 'Bob']);
      });
    }
    // The watchers see the match itself, not just the roster.
    await Promise.all(watchers.map((w) => waitForSnapshot(w)));

    const [w0, w1, w2] = watchers as [GameClient, GameClient, GameClient];
    const gone = (w: GameClient) => members.splice(members.indexOf(w), 1);
    gone(w0);
    await expectCount(2, async () => expect(await leaveRoom(w0)).toEqual({ ok: true }));
    const w0States = states.get(w0) as RoomInfo[];
    const heardBefore = w0States.length;
    gone(w1);
    await expectCount(1, async () => w1.disconnect());
    // The one who left is back in the lobby: out of the room, free to watch again.
    expect(await leaveRoom(w0)).toEqual(failed(ErrorCode.NOT_IN_ROOM));
    const lobby = await LobbyView.subscribe(w0);
    expect(lobby.initial.map((r) => r.id)).toContain(room.id);
    gone(w2);
    await expectCount(0, async () => expect(await leaveRoom(w2)).toEqual({ ok: true }));
    // Out of the room means out of its broadcasts.
    await roundTrip(w0);
    expect(w0States.length).toBe(heardBefore);
    await expectCount(1, () => watchAs(w0));
  });

  it("watching a private room's id is ROOM_NOT_FOUND, like an unknown id", async () => {
    const server = await env.startServer();
    const { left, leftJoin } = await env.startMatch(server);
    const stranger = await env.connected(server);
    expect(leftJoin.room.kind).toBe('private');
    const states = recordStates(left);
    expect(await watch(stranger, { id: leftJoin.room.id })).toEqual(failed(ErrorCode.ROOM_NOT_FOUND));
    expect(await watch(stranger, { id: leftJoin.room.id, play: true })).toEqual(
      failed(ErrorCode.ROOM_NOT_FOUND),
    );
    expect(await watch(stranger, { id: 'no-such-room-id' })).toEqual(failed(ErrorCode.ROOM_NOT_FOUND));
    await roundTrip(left);
    expect(states.filter((s) => s.spectators > 0)).toEqual([]);
    // With the code, the same person can still watch it.
    expect((await joinRoom(stranger, { code: leftJoin.code })).role).toBe('spectator');
  });
});

describe('rematch', () => {
  it('when both players ask after the end, a fresh match starts in the same room', async () => {
    const { server, runTicks, runUntil } = await startManualServer(env, { pointsToWin: 1 });
    const { left, right, leftJoin, rightJoin, room } = await quickMatch(env, server, ['Ann', 'Bob']);
    const spectator = await env.connected(server);
    expectJoined(await watch(spectator, { id: room.id }));
    const outsider = await env.connected(server);

    // Before the end: nobody can ask, and a spectator never can.
    runUntil(() => room.phase === 'playing', 'the match to start');
    expect(await rematch(left)).toEqual(failed(ErrorCode.NOT_FINISHED));
    expect(await rematch(spectator)).toEqual(failed(ErrorCode.NOT_A_PLAYER));
    expect(await rematch(outsider)).toEqual(failed(ErrorCode.NOT_IN_ROOM));

    const finished = waitFor(right, 'room:state', (s) => s.phase === 'finished');
    const lastSnapshot = waitForSnapshot(left, (s) => s.phase === 'finished');
    runUntil(() => room.phase === 'finished', 'the match to finish');
    runTicks(SNAPSHOT_TICKS);
    const [end] = await finished;
    expect(end.winner).not.toBeNull();
    expect(Math.max(...(await lastSnapshot).scores)).toBe(1);

    expect(await rematch(spectator)).toEqual(failed(ErrorCode.NOT_A_PLAYER));
    const asked = waitFor(right, 'room:state', (s) => s.rematch[0]);
    expect(await rematch(left)).toEqual({ ok: true });
    const [askedState] = await asked;
    expect(askedState.phase).toBe('finished');
    expect(askedState.rematch).toEqual([true, false]);

    const restarted = [left, right, spectator].map((c) =>
      waitFor(c, 'room:state', (s) => s.phase === 'countdown'),
    );
    expect(await rematch(right)).toEqual({ ok: true });
    for (const [state] of await Promise.all(restarted)) {
      expect(state).toMatchObject({
        id: room.id,
        phase: 'countdown',
        winner: null,
        rematch: [false, false],
        spectators: 1,
        players: [
          { nickname: 'Ann', connected: true },
          { nickname: 'Bob', connected: true },
        ],
      });
    }
    // Same room, same seats, scores back to 0:0.
    const fresh = waitForSnapshot(left, (s) => s.phase === 'countdown');
    runTicks(SNAPSHOT_TICKS);
    expect((await fresh).scores).toEqual([0, 0]);
    expect(server.app.rooms.get(leftJoin.code as string)).toBe(room);
    expect(server.app.rooms.size).toBe(1);
    expect(rightJoin.code).toBe(leftJoin.code);
    // And the new match runs to its own end.
    runUntil(() => room.phase === 'finished', 'the rematch to finish');
  });

  it('a player whose opponent left gets OPPONENT_LEFT', async () => {
    const { server, runUntil } = await startManualServer(env, { pointsToWin: 1 });
    const { left, right, room } = await quickMatch(env, server);
    runUntil(() => room.phase === 'finished', 'the match to finish');
    const told = waitFor(left, 'room:state', (s) => s.players[1]?.connected === false);
    expect(await leaveRoom(right)).toEqual({ ok: true });
    await told;
    expect(await rematch(left)).toEqual(failed(ErrorCode.OPPONENT_LEFT));
  });

  it('works in a private room too', async () => {
    const { server, runUntil } = await startManualServer(env, { pointsToWin: 1 });
    const left = await env.connected(server);
    const right = await env.connected(server);
    const created = await createRoom(left, 'Ann');
    await joinRoom(right, { code: created.code, nickname: 'Bob' });
    const room = server.app.rooms.get(created.code);
    runUntil(() => room?.phase === 'finished', 'the match to finish');
    const restarted = waitFor(left, 'room:state', (s) => s.phase === 'countdown');
    expect(await rematch(right)).toEqual({ ok: true });
    expect(await rematch(left)).toEqual({ ok: true });
    await restarted;
    expect(room?.phase).toBe('countdown');
  });
});
