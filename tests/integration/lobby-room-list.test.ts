import { describe, expect, it } from 'vitest';
import { LOBBY_PUSH_INTERVAL_MS } from '../../server/gateway/lobby-publisher.ts';
import { roomListResponse, roomListResponseSchema } from '../../server/http/room-list-schema.ts';
import type { RoomListing } from '../../shared/protocol/messages.ts';
import { roomListingSchema } from '../../shared/protocol/schemas.ts';
import { roundTrip, waitFor, type GameClient } from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { expectNoSecrets, LobbyView, quickMatch, startManualServer, watch } from '../support/lobby.ts';
import { PlayerBot } from '../support/player-bot.ts';
import type { TestServer } from '../support/server.ts';

const env = useTestEnv();
const MATCH_MS = 20_000;

const find = (rooms: RoomListing[], id: string) => rooms.find((r) => r.id === id);

/** Two players who each hold their paddle against a wall: every serve ends in a point. */
function playOn(left: GameClient, right: GameClient): void {
  new PlayerBot(left, { intent: 1 }).start();
  new PlayerBot(right, { intent: -1 }).start();
}

/** Ticks after which a pending change has certainly been pushed to lobby viewers. */
const pushTicks = (server: TestServer) =>
  Math.ceil((LOBBY_PUSH_INTERVAL_MS * server.config.tickHz) / 1000) + 1;

async function getRooms(server: TestServer): Promise<{ text: string; rooms: RoomListing[] }> {
  const res = await fetch(`${server.url}/api/rooms`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await res.text();
  return { text, rooms: (JSON.parse(text) as { rooms: RoomListing[] }).rooms };
}

describe('live room list', () => {
  it('is pushed when a match starts, when its score changes, and when it ends', async () => {
    const server = await env.startServer({ pointsToWin: 2 });
    const viewer = await env.connected(server);
    const lobby = await LobbyView.subscribe(viewer);
    expect(lobby.initial).toEqual([]);

    const { left, right, leftJoin, rightJoin, room } = await quickMatch(env, server, ['Ann', 'Bob']);
    const id = room.id;
    const started = await lobby.until((rooms) => find(rooms, id) !== undefined);
    expect(find(started, id)).toEqual({
      id,
      phase: expect.stringMatching(/^(countdown|playing)$/),
      players: ['Ann', 'Bob'],
      scores: [0, 0],
      spectators: 0,
      joinable: false,
      node: server.config.nodeId,
    });

    playOn(left, right);
    // The first point shows up in the list (pushes are throttled, so possibly with the next phase).
    const scored = await lobby.until((rooms) => {
      const r = find(rooms, id);
      return r !== undefined && r.scores[0] + r.scores[1] >= 1;
    }, MATCH_MS);
    expect(find(scored, id)?.players).toEqual(['Ann', 'Bob']);
    const [final] = await waitFor(left, 'room:state', (s) => s.phase === 'finished', MATCH_MS);
    expect(final.winner).not.toBeNull();
    // The finished match leaves the list.
    const ended = await lobby.until((rooms) => find(rooms, id) === undefined);
    expect(ended).toEqual([]);

    // Scores only ever went up, one point at a time, until the room left the list.
    const scores = lobby.all.map((rooms) => find(rooms, id)?.scores).filter((s) => s !== undefined);
    expect(scores.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < scores.length; i += 1) {
      const [a0, a1] = scores[i - 1] as [number, number];
      const [b0, b1] = scores[i] as [number, number];
      expect(b0 >= a0 && b1 >= a1 && b0 + b1 - a0 - a1 <= 1, `${scores[i - 1]} → ${scores[i]}`).toBe(true);
    }
    // Not one of them carried the room's code or a seat token.
    expectNoSecrets(JSON.stringify(lobby.all), [leftJoin.code, leftJoin.token, rightJoin.token]);
  });

  it('never lists a private room; GET /api/rooms is the same list, without codes or tokens', async () => {
    const { server, runTicks, runUntil } = await startManualServer(env, { pointsToWin: 11 });
    const viewer = await env.connected(server);
    const lobby = await LobbyView.subscribe(viewer);

    // A private match with a spectator...
    const host = await env.connected(server);
    const guest = await env.connected(server);
    const privateJoin = await createRoom(host, 'Secret Sam');
    const guestJoin = await joinRoom(guest, { code: privateJoin.code, nickname: 'Hidden Hal' });
    const privateWatcher = await env.connected(server);
    await joinRoom(privateWatcher, { code: privateJoin.code, nickname: 'Peeping Pat' });
    // ...and a public one with a spectator.
    const { leftJoin, rightJoin, room } = await quickMatch(env, server, ['Ann', 'Bob']);
    const watcher = await env.connected(server);
    expect(await watch(watcher, { id: room.id, nickname: 'Cy' })).toMatchObject({
      ok: true,
      role: 'spectator',
    });
    runUntil(() => room.phase === 'playing', 'the public match to start');
    // A push is due within one throttle interval (and no point can be scored that soon).
    runTicks(pushTicks(server));
    await roundTrip(viewer);

    const expected: RoomListing = {
      id: room.id,
      phase: 'playing',
      players: ['Ann', 'Bob'],
      scores: [0, 0],
      spectators: 1,
      joinable: false,
      node: server.config.nodeId,
    };
    expect(lobby.latest).toEqual([expected]);
    expect(await server.app.directory.list()).toEqual([expected]);
    const api = await getRooms(server);
    expect(api.rooms).toEqual(lobby.latest);

    // The private room never appeared: not its id, nor anyone in it.
    const everything = JSON.stringify(lobby.all) + api.text;
    for (const s of [privateJoin.room.id, 'Secret Sam', 'Hidden Hal', 'Peeping Pat']) {
      expect(everything).not.toContain(s);
    }
    expectNoSecrets(everything, [
      privateJoin.code,
      privateJoin.token,
      guestJoin.token,
      leftJoin.code,
      leftJoin.token,
      rightJoin.token,
    ]);
  });

  it('follows the spectator count, and a viewer who unsubscribes hears no more', async () => {
    const { server, runTicks } = await startManualServer(env);
    const viewer = await env.connected(server);
    const quitter = await env.connected(server);
    const lobby = await LobbyView.subscribe(viewer);
    const quitterLobby = await LobbyView.subscribe(quitter);
    const { room } = await quickMatch(env, server);
    const spectators = (rooms: RoomListing[]) => find(rooms, room.id)?.spectators;

    const throttleTicks = pushTicks(server);
    runTicks(throttleTicks);
    await lobby.until((rooms) => spectators(rooms) === 0);
    quitter.emit('lobby:unsubscribe');
    await roundTrip(quitter);
    const quitterPushes = quitterLobby.pushes.length;

    const watchers = await Promise.all([env.connected(server), env.connected(server)]);
    for (const [i, w] of watchers.entries()) {
      await watch(w, { id: room.id });
      runTicks(throttleTicks);
      await lobby.until((rooms) => spectators(rooms) === i + 1);
    }
    // A watcher who drops is counted out as soon as the server hears of it.
    const [first, second] = watchers as [GameClient, GameClient];
    const countedOut = waitFor(second, 'room:state', (s) => s.spectators === 1);
    first.disconnect();
    await countedOut;
    runTicks(throttleTicks);
    await lobby.until((rooms) => spectators(rooms) === 1);
    await roundTrip(quitter);
    expect(quitterLobby.pushes.length).toBe(quitterPushes);
  });
});

describe('GET /api/rooms', () => {
  const listing: RoomListing = {
    id: 'ROOM-ID-0001',
    phase: 'playing',
    players: ['Ann', null],
    scores: [3, 0],
    spectators: 2,
    joinable: true,
    node: 'node1',
  };
  const getRooms = (server: TestServer) => server.app.http.inject({ method: 'GET', url: '/api/rooms' });

  it('is serialized with the schema derived from the zod listing: no field outside it ever leaks', async () => {
    const server = await env.startServer();
    // Listings that picked up secrets on their way (a future field, a careless spread): the
    // directory keeps what it is given, the HTTP serializer must drop what the schema does not name.
    const leaky = { ...listing, code: 'SECRET-CODE-1', token: 'SECRET-TOKEN' };
    server.app.directory.upsert(leaky);
    const leakier = { ...leaky, id: 'ROOM-ID-0002', phase: 'waiting' as const, owner: { token: 'SECRET' } };
    server.app.directory.upsert(leakier);

    const res = await getRooms(server);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('SECRET');
    // The body is exactly what the zod schema allows (strict objects: an unknown key fails)...
    const parsed = roomListResponse.parse(res.json());
    expect(parsed.rooms).toEqual([listing, { ...listing, id: 'ROOM-ID-0002', phase: 'waiting' }]);
    // ...and every listing carries every field the schema names.
    for (const room of parsed.rooms) {
      expect(Object.keys(room).sort()).toEqual(Object.keys(roomListingSchema.shape).sort());
    }
  });

  it('refuses to send a pair with an extra item rather than send the extra item', async () => {
    const server = await env.startServer();
    const players: (string | null)[] = ['Ann', null, 'SECRET-EVE'];
    // Only a cast can make this (the type is a pair): the serializer is the last line of defence.
    server.app.directory.upsert({ ...listing, players: players as RoomListing['players'] });
    const res = await getRooms(server);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('SECRET');
  });

  it('uses the JSON schema zod derives, closed at every object', () => {
    // As fastify reads it: plain JSON.
    const schema: {
      additionalProperties?: unknown;
      properties: { rooms: { items: { additionalProperties?: unknown; required?: string[] } } };
    } = JSON.parse(JSON.stringify(roomListResponseSchema));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.rooms.items.additionalProperties).toBe(false);
    expect(schema.properties.rooms.items.required?.sort()).toEqual(
      Object.keys(roomListingSchema.shape).sort(),
    );
  });
});
