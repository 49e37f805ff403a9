import { describe, expect, it } from 'vitest';
import { FIELD_HEIGHT_PX } from '../../shared/constants.ts';
import { ERROR_MESSAGES, type JoinOk, type RoomListing } from '../../shared/protocol/index.ts';
import { closeClient, DEFAULT_WAIT_MS, expectJoined, waitFor, waitForSnapshot } from '../support/client.ts';
import { createRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { waitForServer } from '../support/server.ts';

const env = useTestEnv();
const MATCH_MS = 20_000;

const listed = (rooms: RoomListing[], id: string) => rooms.find((r) => r.id === id);

describe('lobby over sockets', () => {
  it('quick match pairs two players in a listed public room that others can watch by id', async () => {
    const server = await env.startServer({ pointsToWin: 2 });
    const viewer = await env.connected(server);
    expect(await viewer.timeout(DEFAULT_WAIT_MS).emitWithAck('lobby:subscribe')).toEqual([]);

    const [ann, bob] = await Promise.all([env.connected(server), env.connected(server)]);
    const matched = Promise.all([waitFor(ann, 'queue:matched'), waitFor(bob, 'queue:matched')]);
    expect(await ann.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:join', { nickname: 'ann' })).toEqual({
      ok: true,
    });
    expect(await bob.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:join', { nickname: 'bob' })).toEqual({
      ok: true,
    });
    const [[annJoin], [bobJoin]] = await matched;
    expect([annJoin.role, bobJoin.role]).toEqual(['left', 'right']);
    expect(annJoin.room.id).toBe(bobJoin.room.id);
    expect(annJoin.room.kind).toBe('public');
    expect(annJoin.token).not.toBeNull();
    const { id } = annJoin.room;

    // The lobby hears about the room, by public id and nicknames only.
    const [rooms] = await waitFor(viewer, 'lobby:rooms', (list) => listed(list, id)?.players[1] === 'bob');
    expect(listed(rooms, id)).toMatchObject({ players: ['ann', 'bob'], joinable: false });
    expect(JSON.stringify(rooms)).not.toContain(String(annJoin.code));
    expect(JSON.stringify(rooms)).not.toContain(String(annJoin.token));

    // Anyone can watch it by id, without learning its code.
    const watcher = await env.connected(server);
    const watched = expectJoined(await watcher.timeout(DEFAULT_WAIT_MS).emitWithAck('room:watch', { id }));
    expect(watched).toMatchObject({ role: 'spectator', code: null, token: null });
    await waitForSnapshot(watcher);

    new PlayerBot(ann, { intent: 1 }).start();
    new PlayerBot(bob, { intent: -1 }).start();
    const [final] = await waitFor(watcher, 'room:state', (s) => s.phase === 'finished', MATCH_MS);
    expect(final.winner).not.toBeNull();
    // A finished match leaves the list.
    await waitFor(viewer, 'lobby:rooms', (list) => listed(list, id) === undefined);

    // Both players ask for a rematch: a fresh match starts in the same room.
    expect(await ann.timeout(DEFAULT_WAIT_MS).emitWithAck('room:rematch')).toEqual({ ok: true });
    const restarted = waitFor(bob, 'room:state', (s) => s.phase === 'countdown');
    expect(await bob.timeout(DEFAULT_WAIT_MS).emitWithAck('room:rematch')).toEqual({ ok: true });
    const [again] = await restarted;
    expect(again.winner).toBeNull();
    const fresh = await waitForSnapshot(watcher, (s) => s.phase === 'countdown');
    expect(fresh.scores).toEqual([0, 0]);
  });

  it('queue bookkeeping: leave is acknowledged once, and a seated player cannot queue', async () => {
    const server = await env.startServer();
    const alone = await env.connected(server);
    expect(await alone.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:join', {})).toEqual({ ok: true });
    expect(server.app.queue.size).toBe(1);
    expect(await alone.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:leave')).toEqual({ ok: true });
    expect(await alone.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:leave')).toEqual({
      ok: false,
      error: 'NOT_QUEUED',
      message: ERROR_MESSAGES.NOT_QUEUED,
    });

    const host = await env.connected(server);
    await createRoom(host);
    expect(await host.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:join', {})).toMatchObject({
      ok: false,
      error: 'ALREADY_IN_ROOM',
    });

    // A queued socket that disconnects leaves the queue with it.
    const leaver = await env.connected(server);
    await leaver.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:join', {});
    expect(server.app.queue.size).toBe(1);
    closeClient(leaver);
    await waitForServer(server.app, () => server.app.queue.size === 0, 'the queue to empty');
  });

  it('private rooms are never listed and cannot be watched by id', async () => {
    const server = await env.startServer();
    const viewer = await env.connected(server);
    await viewer.timeout(DEFAULT_WAIT_MS).emitWithAck('lobby:subscribe');
    const { left, leftJoin } = await env.startMatch(server);
    await waitForSnapshot(left, (s) => s.phase === 'playing');

    expect(await server.app.directory.list()).toEqual([]);
    const stranger = await env.connected(server);
    expect(
      await stranger.timeout(DEFAULT_WAIT_MS).emitWithAck('room:watch', { id: leftJoin.room.id }),
    ).toMatchObject({ ok: false, error: 'ROOM_NOT_FOUND' });
  });

  it('practice: a computer takes the other seat, plays, and leaves nothing behind when the person goes', async () => {
    const server = await env.startServer({ pointsToWin: 11, reconnectGraceMs: 300 });
    const player = await env.connected(server);
    const joined: JoinOk = expectJoined(
      await player
        .timeout(DEFAULT_WAIT_MS)
        .emitWithAck('practice:create', { nickname: 'solo', level: 'hard' }),
    );
    expect(joined.role).toBe('left');
    expect(joined.room.kind).toBe('practice');
    expect(joined.room.players[1]?.nickname).toMatch(/computer/i);
    // A live client sends its (idle) intents, or the link watch would pause the match.
    new PlayerBot(player).start();

    // The computer follows the ball: its paddle leaves the centre during play.
    await waitForSnapshot(
      player,
      (s) => s.phase === 'playing' && Math.abs(s.paddles[1] - FIELD_HEIGHT_PX / 2) > 20,
      10_000,
    );

    closeClient(player);
    await waitForServer(server.app, () => server.app.rooms.size === 0, 'the practice room to close');
    // Room and computer player are both out of the game loop.
    expect(server.app.scheduler.size).toBe(server.idleTickables);
    expect(await server.app.directory.list()).toEqual([]);
  });
});
