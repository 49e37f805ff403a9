// Players who come back: profiles in the handshake, rated quick matches, match:result, and the
// leaderboard, profiles and replays served from what the server recorded. A real server (its game
// loop on a ManualClock), real socket.io clients and a real store, on PGlite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.ts';
import { newProfileId } from '../../server/store/ids.ts';
import { openStore } from '../../server/store/open-store.ts';
import { newSecret } from '../../server/store/secret.ts';
import type { MatchRecord, RecordedMatch, Store } from '../../server/store/types.ts';
import type { GameRoom } from '../../server/rooms/game-room.ts';
import { ErrorCode, PROTOCOL_VERSION, type MatchResult } from '../../shared/protocol/index.ts';
import { base64urlToBytes } from '../../shared/replay/base64url.ts';
import { decodeInputLog } from '../../shared/replay/log-codec.ts';
import { replay } from '../../shared/replay/replay.ts';
import {
  DEFAULT_WAIT_MS,
  expectJoined,
  waitFor,
  type ClientOptions,
  type GameClient,
} from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv, type TestEnv } from '../support/env.ts';
import { queueJoin, rematch, startManualServer, watch, type ManualServer } from '../support/lobby.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { followBall } from '../support/resilience.ts';
import { BACKENDS, makeStoreTarget, type StoreTarget } from '../support/store.ts';

interface Player {
  id: string;
  secret: string;
}

const newPlayer = (): Player => ({ id: newProfileId(), secret: newSecret() });
const as = (p: Player, secret = p.secret): ClientOptions => ({
  auth: { v: PROTOCOL_VERSION, playerId: p.id, secret },
});

/** Every `match:result` a client hears, in order. */
function results(client: GameClient): MatchResult[] {
  const seen: MatchResult[] = [];
  client.on('match:result', (r) => seen.push(r));
  return seen;
}

/** The first `match:result` in `heard` (see results()) that `pred` accepts, waiting for it if need be. */
async function resultIn(
  client: GameClient,
  heard: MatchResult[],
  pred: (r: MatchResult) => boolean = () => true,
): Promise<MatchResult> {
  const seen = heard.find(pred);
  if (seen) return seen;
  const [result] = await waitFor(client, 'match:result', pred);
  return result;
}

const ping = (c: GameClient) => c.timeout(DEFAULT_WAIT_MS).emitWithAck('time:ping');

/**
 * Plays on: a few ticks, then a round trip with each client so their inputs (answers to the
 * snapshots) reach the server before the next ticks. Stops once `done()` holds.
 */
async function playUntil(ms: ManualServer, clients: GameClient[], done: () => boolean, what: string) {
  for (let round = 0; round < 5_000 && !done(); round += 1) {
    ms.runTicks(4);
    await Promise.all(clients.map(ping));
  }
  if (!done()) throw new Error(`${what}: not reached`);
}

async function getJson<T = Record<string, unknown>>(server: TestServer, path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

interface MatchBody {
  id: string;
  rated: boolean;
  scores: [number, number];
  winner: 'left' | 'right';
  forfeit: { seat: 'left' | 'right'; atStep: number } | null;
  seed: number;
  rules: { tickHz: number; pointsToWin: number; countdownMs: number };
  log: string;
  durationMs: number;
  players: { id: string | null; nickname: string }[];
}

interface PlayerBody {
  id: string;
  nickname: string;
  rating: number;
  matches: number;
  wins: number;
  history: {
    matchId: string;
    won: boolean;
    rated: boolean;
    forfeit: boolean;
    ratingDelta: number | null;
    score: [number, number];
  }[];
}

/** Replays a served match with the shared simulation and checks it ends exactly as recorded. */
function expectReplaysTo(body: MatchBody, scores: [number, number], winner: 'left' | 'right') {
  const seat = (s: 'left' | 'right'): 0 | 1 => (s === 'left' ? 0 : 1);
  const log = decodeInputLog(base64urlToBytes(body.log));
  const forfeit = body.forfeit ? { seat: seat(body.forfeit.seat), atStep: body.forfeit.atStep } : null;
  const final = replay(body.seed, body.rules, log, forfeit);
  expect(final.phase).toBe('finished');
  expect([final.scores[0], final.scores[1]]).toEqual(scores);
  expect(final.winner).toBe(seat(winner));
  expect(body.scores).toEqual(scores);
  expect(body.winner).toBe(winner);
  return log;
}

describe.each(BACKENDS)('players who come back, on %s', (backend) => {
  const env: TestEnv = useTestEnv();
  let target: StoreTarget;

  beforeAll(async () => {
    target = await makeStoreTarget(backend);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  /** A manual-clock server with a store on this suite's database (the server closes the store). */
  async function serverWithStore(
    overrides: Parameters<typeof startManualServer>[1] = {},
    wrap: (s: Store) => Store = (s) => s,
  ): Promise<ManualServer> {
    const store = await openStore(target.options);
    return startManualServer(env, { pointsToWin: 2, ...overrides }, { store: wrap(store) });
  }

  /** Two players with profiles quick-match; `left` queues first and takes the left seat. */
  async function quickMatch(ms: ManualServer, a: Player, b: Player) {
    const left = await env.connected(ms.server, as(a));
    const right = await env.connected(ms.server, as(b));
    const matched = Promise.all([waitFor(left, 'queue:matched'), waitFor(right, 'queue:matched')]);
    expect(await queueJoin(left, 'Ann')).toEqual({ ok: true });
    expect(await queueJoin(right, 'Bob')).toEqual({ ok: true });
    const [[leftJoin], [rightJoin]] = await matched;
    expect([leftJoin.role, rightJoin.role]).toEqual(['left', 'right']);
    const room = ms.server.app.rooms.getById(leftJoin.room.id) as GameRoom;
    return { left, right, room, leftJoin };
  }

  /** Plays a match to the end with bots on both seats; returns the final score as the room had it. */
  async function playToEnd(ms: ManualServer, room: GameRoom, left: GameClient, right: GameClient) {
    const bots = [
      new PlayerBot(left, { intent: followBall(0) }).start(),
      // The right player is lazier: rallies end.
      new PlayerBot(right, { intent: (s) => (s.ball.y > s.paddles[1] + 40 ? 1 : 0) }).start(),
    ];
    await playUntil(ms, [left, right], () => room.phase === 'finished', 'the match to finish');
    for (const bot of bots) bot.stop();
    const snap = room.snapshot();
    const winner = room.info().winner as 'left' | 'right';
    return { scores: snap.scores, winner };
  }

  it('a rated quick match: opposite rating changes, and the leaderboard, both profiles and the replay agree', async () => {
    const ms = await serverWithStore();
    const [a, b] = [newPlayer(), newPlayer()];
    const { left, right, room } = await quickMatch(ms, a, b);
    const viewer = await env.connected(ms.server);
    expectJoined(await watch(viewer, { id: room.id }));
    const heard = [results(left), results(right), results(viewer)];

    const end = await playToEnd(ms, room, left, right);
    const result = await resultIn(left, heard[0] as MatchResult[]);
    await resultIn(right, heard[1] as MatchResult[]);
    await resultIn(viewer, heard[2] as MatchResult[]);
    for (const seen of heard) expect(seen).toEqual([result]);
    expect(result.rated).toBe(true);
    expect(result.scores).toEqual(end.scores);
    expect(result.winner).toBe(end.winner);
    const w = end.winner === 'left' ? 0 : 1;
    const [wr, lr] = [result.ratings[w], result.ratings[1 - w]];
    expect(wr?.delta).toBeGreaterThan(0);
    expect(lr?.delta).toBeLessThan(0);
    expect(Number.isInteger(wr?.delta)).toBe(true);
    expect(wr?.rating).toBeGreaterThan(1500);
    expect(lr?.rating).toBeLessThan(1500);

    const { server } = ms;
    const board = await getJson<{ players: { id: string; nickname: string }[]; me: { id: string } | null }>(
      server,
      `/api/leaderboard?me=${a.id}`,
    );
    expect(board.players.map((p) => p.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(board.players.find((p) => p.id === a.id)?.nickname).toBe('Ann');
    expect(board.me?.id).toBe(a.id);
    for (const [p, seat] of [
      [a, 0],
      [b, 1],
    ] as const) {
      const page = await getJson<PlayerBody>(server, `/api/players/${p.id}`);
      const rating = result.ratings[seat];
      expect(page.rating).toBeCloseTo(rating?.rating ?? NaN, 6);
      expect(page.matches).toBe(1);
      expect(page.wins).toBe(seat === w ? 1 : 0);
      expect(page.history).toHaveLength(1);
      expect(page.history[0]).toMatchObject({
        matchId: result.matchId,
        won: seat === w,
        rated: true,
        forfeit: false,
        ratingDelta: expect.any(Number),
      });
      expect(Math.round(page.history[0]?.ratingDelta ?? NaN)).toBe(rating?.delta);
      expect(JSON.stringify(page)).not.toContain(p.secret);
    }
    const match = await getJson<MatchBody>(server, `/api/matches/${result.matchId}`);
    expect(match.players.map((p) => p.id)).toEqual([a.id, b.id]);
    const log = expectReplaysTo(match, end.scores, end.winner);
    expect(log.runs[0].length).toBeGreaterThan(2); // the left bot moved: the log holds real inputs
    expect(match.forfeit).toBeNull();
  });

  it('a forfeit counts as a loss, and its replay ends the same way', async () => {
    const ms = await serverWithStore({ reconnectGraceMs: 1_000, pointsToWin: 5 });
    const [a, b] = [newPlayer(), newPlayer()];
    const { left, right, room } = await quickMatch(ms, a, b);
    new PlayerBot(left, { intent: followBall(0) }).start();
    new PlayerBot(right, { intent: followBall(1) }).start();
    await playUntil(ms, [left, right], () => room.snapshot().phase === 'playing', 'the serve');
    ms.runTicks(30);
    const heard = results(left);

    right.disconnect();
    await playUntil(ms, [left], () => room.phase === 'paused', 'the drop to pause the match');
    ms.runUntil(() => room.phase === 'finished', 'the grace to run out');
    const result = await resultIn(left, heard);
    expect(result.winner).toBe('left');
    expect(result.rated).toBe(true);
    expect(result.ratings[0]?.delta).toBeGreaterThan(0);
    expect(result.ratings[1]?.delta).toBeLessThan(0);

    const scores = room.snapshot().scores;
    const loser = await getJson<PlayerBody>(ms.server, `/api/players/${b.id}`);
    expect(loser.history[0]).toMatchObject({ matchId: result.matchId, won: false, forfeit: true });
    expect(loser.history[0]?.ratingDelta).toBeLessThan(0);
    const match = await getJson<MatchBody>(ms.server, `/api/matches/${result.matchId}`);
    expect(match.forfeit).toEqual({ seat: 'right', atStep: expect.any(Number) });
    const log = expectReplaysTo(match, scores, 'left');
    // The paused ticks before the forfeit are in the log as idle time.
    expect(log.idle.length).toBeGreaterThan(0);
  });

  it('private and practice matches are recorded for replay but not rated; a rematch is a new match', async () => {
    const ms = await serverWithStore({ pointsToWin: 1 });
    const [a, b] = [newPlayer(), newPlayer()];
    const left = await env.connected(ms.server, as(a));
    const right = await env.connected(ms.server, as(b));
    const created = await createRoom(left, 'Ann');
    await joinRoom(right, { code: created.code, nickname: 'Bob' });
    const room = ms.server.app.rooms.get(created.code) as GameRoom;
    const heard = results(left);

    const end = await playToEnd(ms, room, left, right);
    const r1 = await resultIn(left, heard);
    expect(r1).toMatchObject({ rated: false, ratings: [null, null], scores: end.scores });
    expectReplaysTo(
      await getJson<MatchBody>(ms.server, `/api/matches/${r1.matchId}`),
      end.scores,
      end.winner,
    );

    expect(await rematch(left)).toEqual({ ok: true });
    expect(await rematch(right)).toEqual({ ok: true });
    const end2 = await playToEnd(ms, room, left, right);
    const r2 = await resultIn(left, heard, (r) => r.matchId !== r1.matchId);
    expect(r2.rated).toBe(false);
    expect(heard.map((r) => r.matchId)).toEqual([r1.matchId, r2.matchId]);
    expectReplaysTo(
      await getJson<MatchBody>(ms.server, `/api/matches/${r2.matchId}`),
      end2.scores,
      end2.winner,
    );

    const page = await getJson<PlayerBody>(ms.server, `/api/players/${a.id}`);
    expect(page).toMatchObject({ rating: 1500, matches: 0, wins: 0 });
    expect(page.history.map((h) => [h.matchId, h.rated, h.ratingDelta])).toEqual([
      [r2.matchId, false, null],
      [r1.matchId, false, null],
    ]);

    // Practice against the computer: recorded, unrated.
    const solo = await env.connected(ms.server, as(newPlayer()));
    const joined = expectJoined(
      await solo.timeout(DEFAULT_WAIT_MS).emitWithAck('practice:create', { nickname: 'Cy', level: 'hard' }),
    );
    const practice = ms.server.app.rooms.get(joined.code as string) as GameRoom;
    const soloHeard = results(solo);
    await playUntil(ms, [solo], () => practice.phase === 'finished', 'the practice match to finish');
    const r3 = await resultIn(solo, soloHeard);
    expect(r3).toMatchObject({ rated: false, ratings: [null, null] });
    const body = await getJson<MatchBody>(ms.server, `/api/matches/${r3.matchId}`);
    expectReplaysTo(body, practice.snapshot().scores, practice.info().winner as 'left' | 'right');
  });

  it('a wrong or malformed secret is refused with BAD_CREDENTIALS; no secret plays as a guest', async () => {
    const ms = await serverWithStore();
    const p = newPlayer();
    const first = await env.connected(ms.server, as(p));
    first.disconnect();
    // The right secret again: let in.
    await env.connected(ms.server, as(p));
    for (const secret of [newSecret(), 'not-a-secret']) {
      const refused = env.connect(ms.server, as(p, secret));
      const [err] = await waitFor(refused, 'connect_error');
      expect(err.message).toBe(ErrorCode.BAD_CREDENTIALS);
      expect(err.data).toEqual({ code: ErrorCode.BAD_CREDENTIALS, message: expect.any(String) });
    }
    const guest = await env.connected(ms.server, { auth: { v: PROTOCOL_VERSION, playerId: p.id } });
    expect(guest.connected).toBe(true);
  });

  it('a store that cannot answer the handshake lets the player in as an unrated guest', async () => {
    const ms = await serverWithStore({}, (inner) => ({
      ...inner,
      verifyProfile: () => Promise.reject(new Error('store down')),
      claimProfile: () => Promise.reject(new Error('store down')),
    }));
    const client = await env.connected(ms.server, as(newPlayer()));
    expect(ms.server.app.io.sockets.sockets.get(client.id as string)?.data.profile).toBeUndefined();
    // And a good one is verified: the same server path with a working store sets the profile.
    await ms.server.close(); // one server at a time on a PGlite DATA_DIR
    const ok = await serverWithStore();
    const p = newPlayer();
    const verified = await env.connected(ok.server, as(p));
    expect(ok.server.app.io.sockets.sockets.get(verified.id as string)?.data.profile).toEqual({
      id: p.id,
      rating: 1500,
      nickname: 'Player',
    });
  });

  it('a restart on the same data keeps ratings, history, replays and the profile secrets', async () => {
    const ms = await serverWithStore();
    const [a, b] = [newPlayer(), newPlayer()];
    const { left, right, room } = await quickMatch(ms, a, b);
    const heard = results(left);
    await playToEnd(ms, room, left, right);
    const result = await resultIn(left, heard);
    const before = {
      a: await getJson<PlayerBody>(ms.server, `/api/players/${a.id}`),
      b: await getJson<PlayerBody>(ms.server, `/api/players/${b.id}`),
      match: await getJson<MatchBody>(ms.server, `/api/matches/${result.matchId}`),
    };
    await ms.server.close();

    const again = await serverWithStore();
    expect(await getJson(again.server, `/api/players/${a.id}`)).toEqual(before.a);
    expect(await getJson(again.server, `/api/players/${b.id}`)).toEqual(before.b);
    expect(await getJson(again.server, `/api/matches/${result.matchId}`)).toEqual(before.match);
    expect(before.a.matches).toBe(1);
    await env.connected(again.server, as(a));
    const [err] = await waitFor(env.connect(again.server, as(a, newSecret())), 'connect_error');
    expect(err.message).toBe(ErrorCode.BAD_CREDENTIALS);
  });

  it('recording never holds up a tick: the match ends and the room ticks on while the store is slow', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const calls: MatchRecord[] = [];
    let called: () => void = () => undefined;
    const firstCall = new Promise<void>((resolve) => (called = resolve));
    const ms = await serverWithStore({}, (inner) => ({
      ...inner,
      async recordMatch(m: MatchRecord): Promise<RecordedMatch> {
        calls.push(m);
        called();
        await gate;
        return inner.recordMatch(m);
      },
    }));
    const [a, b] = [newPlayer(), newPlayer()];
    const { left, right, room } = await quickMatch(ms, a, b);
    const heard = results(left);
    const end = await playToEnd(ms, room, left, right);
    // The tick that ended the match has returned; the write starts on a later turn of the loop.
    await firstCall;
    expect(calls.map((m) => m.id)).toHaveLength(1);
    const ticks = ms.server.app.scheduler.ticks;
    ms.runTicks(60);
    expect(ms.server.app.scheduler.ticks).toBe(ticks + 60);
    await waitFor(left, 'snapshot');
    expect(heard).toEqual([]);
    expect(ms.server.app.matchResults?.inFlight).toBe(1);

    release();
    const result = await resultIn(left, heard);
    expect(result).toMatchObject({ matchId: calls[0]?.id, rated: true, scores: end.scores });
  });

  it('shutting down waits for the match records in flight before it closes the store', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const events: string[] = [];
    let called: () => void = () => undefined;
    const firstCall = new Promise<void>((resolve) => (called = resolve));
    const ms = await serverWithStore({}, (inner) => ({
      ...inner,
      async recordMatch(m: MatchRecord): Promise<RecordedMatch> {
        called();
        await gate;
        const recorded = await inner.recordMatch(m);
        events.push('recorded');
        return recorded;
      },
      async close() {
        events.push('close');
        await inner.close();
      },
    }));
    const [a, b] = [newPlayer(), newPlayer()];
    const { left, right, room } = await quickMatch(ms, a, b);
    await playToEnd(ms, room, left, right);
    await firstCall;

    // The write is still held when the server starts to stop; it is let go once every client
    // has been disconnected, i.e. when only the records are left to wait for.
    const gone = Promise.all([waitFor(left, 'disconnect'), waitFor(right, 'disconnect')]);
    const closing = ms.server.close();
    await gone;
    release();
    await closing;
    expect(events).toEqual(['recorded', 'close']);

    const store = await openStore(target.options);
    try {
      const page = await store.playerPage(a.id);
      expect(page?.history).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('a write whose answer is lost is retried, and the match still counts once', async () => {
    let failures = 1;
    const ms = await serverWithStore({}, (inner) => ({
      ...inner,
      async recordMatch(m: MatchRecord): Promise<RecordedMatch> {
        const recorded = await inner.recordMatch(m);
        if (failures-- > 0) throw new Error('connection lost after the commit');
        return recorded;
      },
    }));
    const [a, b] = [newPlayer(), newPlayer()];
    const { left, right, room } = await quickMatch(ms, a, b);
    const heard = results(left);
    await playToEnd(ms, room, left, right);
    const result = await resultIn(left, heard);
    expect(result.rated).toBe(true);
    const page = await getJson<PlayerBody>(ms.server, `/api/players/${a.id}`);
    expect(page.matches).toBe(1);
    expect(page.history).toHaveLength(1);
    expect(Math.round(page.history[0]?.ratingDelta ?? NaN)).toBe(result.ratings[0]?.delta);
  });
});
