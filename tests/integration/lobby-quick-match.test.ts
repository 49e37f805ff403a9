import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import { roundTrip, waitFor, type GameClient } from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { waitForServer } from '../support/server.ts';
import {
  asPlayer,
  queueJoin,
  queueLeave,
  quickMatch,
  recordMatches,
  startManualServer,
  watch,
  type Matched,
} from '../support/lobby.ts';

const env = useTestEnv();
/** The promise: a pair is in its match within a second of the second player joining. */
const PAIRING_MS = 1_000;

const failed = (error: ErrorCode) => expect.objectContaining({ ok: false, error });

describe('quick match', () => {
  it('20 clients queueing at once make exactly 10 matches, every client in exactly one', async () => {
    const server = await env.startServer();
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        env.connected(server, asPlayer(`player-${String(i).padStart(2, '0')}`)),
      ),
    );
    const matches = clients.map(recordMatches);
    const everyoneMatched = Promise.all(clients.map((c) => waitFor(c, 'queue:matched')));

    const sentAtMs: number[] = [];
    const acks = clients.map((c, i) => {
      sentAtMs[i] = performance.now();
      return queueJoin(c, `nick ${i}`);
    });
    expect(await Promise.all(acks)).toEqual(clients.map(() => ({ ok: true })));
    await everyoneMatched;
    // Nothing more is on its way: anything sent before the pings has been delivered.
    await Promise.all(clients.map(roundTrip));

    expect(matches.map((m) => m.length)).toEqual(clients.map(() => 1));
    const byRoom = new Map<string, { client: number; m: Matched }[]>();
    matches.forEach(([m], client) => {
      if (!m) return;
      byRoom.set(m.join.room.id, [...(byRoom.get(m.join.room.id) ?? []), { client, m }]);
    });
    expect(byRoom.size).toBe(10);
    for (const [id, pair] of byRoom) {
      expect(pair.map((p) => p.m.join.role).sort(), id).toEqual(['left', 'right']);
      const [a, b] = pair as [(typeof pair)[0], (typeof pair)[0]];
      // Both are seated in a public room as players, and both see the full roster in queue:matched.
      for (const { m } of pair) {
        expect(m.join.room.kind).toBe('public');
        expect(m.join.token).toEqual(expect.any(String));
      }
      const [first, second] = a.m.join.role === 'left' ? [a, b] : [b, a];
      for (const { m } of pair) {
        expect(m.join.room.players.map((p) => p?.nickname)).toEqual([
          `nick ${first.client}`,
          `nick ${second.client}`,
        ]);
      }
      const secondJoinedMs = Math.max(sentAtMs[a.client] as number, sentAtMs[b.client] as number);
      for (const { m } of pair) expect(m.atMs - secondJoinedMs).toBeLessThan(PAIRING_MS);
    }
    expect(server.app.rooms.size).toBe(10);
    expect(server.app.queue.size).toBe(0);
  });

  it('pairs first come, first served; a lone player keeps searching until somebody comes', async () => {
    const server = await env.startServer();
    const clients = await Promise.all(Array.from({ length: 5 }, () => env.connected(server)));
    const matches = clients.map(recordMatches);
    const joinedAtMs: number[] = [];
    for (const [i, c] of clients.entries()) {
      joinedAtMs[i] = performance.now();
      expect(await queueJoin(c, `p${i}`)).toEqual({ ok: true });
      await roundTrip(c);
    }
    await Promise.all(clients.map(roundTrip));
    // In arrival order: 0 with 1, 2 with 3; 4 is still searching.
    const room = (i: number) => matches[i]?.[0]?.join.room.id;
    expect(matches.map((m) => m.length)).toEqual([1, 1, 1, 1, 0]);
    expect(room(0)).toBe(room(1));
    expect(room(2)).toBe(room(3));
    expect(room(0)).not.toBe(room(2));
    expect(matches[1]?.[0]?.join.room.players.map((p) => p?.nickname)).toEqual(['p0', 'p1']);
    expect(matches[3]?.[0]?.join.room.players.map((p) => p?.nickname)).toEqual(['p2', 'p3']);
    expect((await server.app.queue.entries()).map((e) => e.nickname)).toEqual(['p4']);
    for (const i of [1, 3]) {
      const at = matches[i]?.[0]?.atMs ?? Infinity;
      expect(at - (joinedAtMs[i] as number)).toBeLessThan(PAIRING_MS);
    }

    const late = await env.connected(server);
    const pairing = Promise.all([
      waitFor(clients[4] as GameClient, 'queue:matched'),
      waitFor(late, 'queue:matched'),
    ]);
    expect(await queueJoin(late, 'p5')).toEqual({ ok: true });
    const [[a], [b]] = await pairing;
    expect(a.room.id).toBe(b.room.id);
    expect([a.role, b.role]).toEqual(['left', 'right']);
  });

  it('queue:leave cancels the search; NOT_QUEUED when not searching', async () => {
    const server = await env.startServer();
    const [a, b] = await Promise.all([env.connected(server), env.connected(server)]);
    const aMatches = recordMatches(a);
    expect(await queueLeave(a)).toEqual(failed(ErrorCode.NOT_QUEUED));
    expect(await queueJoin(a, 'Ann')).toEqual({ ok: true });
    expect(server.app.queue.size).toBe(1);
    expect(await queueLeave(a)).toEqual({ ok: true });
    expect(server.app.queue.size).toBe(0);
    expect(await queueLeave(a)).toEqual(failed(ErrorCode.NOT_QUEUED));

    // The cancelled player is not paired with the next one to come.
    expect(await queueJoin(b, 'Bob')).toEqual({ ok: true });
    await Promise.all([roundTrip(a), roundTrip(b)]);
    expect(aMatches).toEqual([]);
    expect((await server.app.queue.entries()).map((e) => e.nickname)).toEqual(['Bob']);
    expect(server.app.rooms.size).toBe(0);
  });

  it('a searching player who disconnects leaves the queue; the next one waits for someone else', async () => {
    const server = await env.startServer();
    const [a, b] = await Promise.all([env.connected(server), env.connected(server)]);
    expect(await queueJoin(a, 'Ann')).toEqual({ ok: true });
    a.disconnect();
    const bMatches = recordMatches(b);
    // The disconnect travels on a's connection, so wait for the server to have handled it.
    await waitForServer(server.app, () => server.app.queue.size === 0, 'the queue to drop Ann');
    expect(await queueJoin(b, 'Bob')).toEqual({ ok: true });
    await roundTrip(b);
    expect(bMatches).toEqual([]);
    expect((await server.app.queue.entries()).map((e) => e.nickname)).toEqual(['Bob']);
  });
});

describe('one queue entry and one live match per player', () => {
  it('a second tab with the same player id replaces the first entry; the first tab hears queue:left', async () => {
    const server = await env.startServer();
    const tab1 = await env.connected(server, asPlayer('player-ann'));
    const tab2 = await env.connected(server, asPlayer('player-ann'));
    const other = await env.connected(server, asPlayer('player-bob'));
    const tab1Matches = recordMatches(tab1);

    expect(await queueJoin(tab1, 'Ann')).toEqual({ ok: true });
    const dropped = waitFor(tab1, 'queue:left');
    expect(await queueJoin(tab2, 'Ann (tab 2)')).toEqual({ ok: true });
    const [info] = await dropped;
    expect(info.reason).toEqual(expect.any(String));
    expect((await server.app.queue.entries()).map((e) => [e.playerId, e.socketId])).toEqual([
      ['player-ann', tab2.id],
    ]);
    // The replaced tab has nothing left to cancel, and cancelling does not touch the new entry.
    expect(await queueLeave(tab1)).toEqual(failed(ErrorCode.NOT_QUEUED));
    expect(server.app.queue.size).toBe(1);

    const paired = Promise.all([waitFor(tab2, 'queue:matched'), waitFor(other, 'queue:matched')]);
    expect(await queueJoin(other, 'Bob')).toEqual({ ok: true });
    const [[ann], [bob]] = await paired;
    expect(ann.room.id).toBe(bob.room.id);
    expect(bob.room.players.map((p) => p?.nickname)).toEqual(['Ann (tab 2)', 'Bob']);
    await roundTrip(tab1);
    expect(tab1Matches).toEqual([]);
  });

  it('a player seated in a live public match cannot queue again, from that tab or another', async () => {
    const { server, runUntil } = await startManualServer(env, { pointsToWin: 1 });
    const tab1 = await env.connected(server, asPlayer('player-ann'));
    const other = await env.connected(server, asPlayer('player-bob'));
    const matched = Promise.all([waitFor(tab1, 'queue:matched'), waitFor(other, 'queue:matched')]);
    await queueJoin(tab1, 'Ann');
    await queueJoin(other, 'Bob');
    const [[join]] = await matched;
    const room = server.app.rooms.getById(join.room.id);

    expect(await queueJoin(tab1, 'Ann')).toEqual(failed(ErrorCode.ALREADY_IN_ROOM));
    const tab2 = await env.connected(server, asPlayer('player-ann'));
    expect(await queueJoin(tab2, 'Ann')).toEqual(failed(ErrorCode.ALREADY_IN_ROOM));
    expect(server.app.queue.size).toBe(0);

    // Once the match is over the player is free to search again (from a tab not in the room).
    runUntil(() => room?.phase === 'finished', 'the match to finish');
    expect(await queueJoin(tab2, 'Ann')).toEqual({ ok: true });
    expect(await queueJoin(tab1, 'Ann')).toEqual(failed(ErrorCode.ALREADY_IN_ROOM));
    expect((await server.app.queue.entries()).map((e) => e.socketId)).toEqual([tab2.id]);
  });

  // Regression: pairing used to check only that the queued socket was free, so a player who
  // queued and then started a game in another tab was seated in a second match.
  it('a searching player who sits down in another tab is dropped from the queue, not matched twice', async () => {
    const server = await env.startServer();
    const tab1 = await env.connected(server, asPlayer('player-ann'));
    const tab2 = await env.connected(server, asPlayer('player-ann'));
    const friend = await env.connected(server, asPlayer('player-cy'));
    const stranger = await env.connected(server, asPlayer('player-bob'));
    const tab1Matches = recordMatches(tab1);
    const strangerMatches = recordMatches(stranger);

    expect(await queueJoin(tab1, 'Ann')).toEqual({ ok: true });
    // Meanwhile, in another tab, Ann starts a private game with a friend.
    const created = await createRoom(tab2, 'Ann');
    await joinRoom(friend, { code: created.code, nickname: 'Cy' });
    expect(server.app.rooms.hasLiveSeat('player-ann')).toBe(true);

    const dropped = waitFor(tab1, 'queue:left');
    expect(await queueJoin(stranger, 'Bob')).toEqual({ ok: true });
    const [info] = await dropped;
    expect(info.reason).toEqual(expect.any(String));
    await Promise.all([roundTrip(tab1), roundTrip(stranger)]);
    expect(tab1Matches).toEqual([]);
    expect(strangerMatches).toEqual([]);
    expect(server.app.rooms.size).toBe(1);
    // Bob keeps searching, and is paired with the next player to come.
    expect((await server.app.queue.entries()).map((e) => e.nickname)).toEqual(['Bob']);
    const dee = await env.connected(server, asPlayer('player-dee'));
    const paired = Promise.all([waitFor(stranger, 'queue:matched'), waitFor(dee, 'queue:matched')]);
    expect(await queueJoin(dee, 'Dee')).toEqual({ ok: true });
    const [, [deeJoin]] = await paired;
    expect(deeJoin.room.players.map((p) => p?.nickname)).toEqual(['Bob', 'Dee']);
  });

  it('a player searching in one tab and watching in another is still matched', async () => {
    const server = await env.startServer();
    const { leftJoin } = await quickMatch(env, server, ['Ann', 'Bob']);
    const tab1 = await env.connected(server, asPlayer('player-cy'));
    const tab2 = await env.connected(server, asPlayer('player-cy'));
    const dee = await env.connected(server, asPlayer('player-dee'));
    expect(await queueJoin(tab1, 'Cy')).toEqual({ ok: true });
    const watched = await watch(tab2, { id: leftJoin.room.id });
    expect(watched).toMatchObject({ ok: true, role: 'spectator' });
    const paired = Promise.all([waitFor(tab1, 'queue:matched'), waitFor(dee, 'queue:matched')]);
    expect(await queueJoin(dee, 'Dee')).toEqual({ ok: true });
    const [, [deeJoin]] = await paired;
    expect(deeJoin.room.players.map((p) => p?.nickname)).toEqual(['Cy', 'Dee']);
  });
});
