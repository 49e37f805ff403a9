import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';
import type { BuildOptions } from '../../server/app.ts';
import type { Config } from '../../server/config.ts';
import { ManualClock } from '../../server/rooms/clock.ts';
import type { GameRoom } from '../../server/rooms/game-room.ts';
import {
  PROTOCOL_VERSION,
  type Failure,
  type JoinOk,
  type JoinResult,
  type RoomListing,
  type WatchRequest,
} from '../../shared/protocol/index.ts';
import { DEFAULT_WAIT_MS, waitFor, type ClientOptions, type GameClient } from './client.ts';
import type { TestEnv } from './env.ts';
import type { TestServer } from './server.ts';

export type Result = { ok: true } | Failure;

/** Handshake options of a browser whose player id is `playerId` (every tab of it sends the same). */
export function asPlayer(playerId: string): ClientOptions {
  return { auth: { v: PROTOCOL_VERSION, playerId } };
}

export function queueJoin(client: GameClient, nickname?: string): Promise<Result> {
  return client
    .timeout(DEFAULT_WAIT_MS)
    .emitWithAck('queue:join', nickname === undefined ? {} : { nickname });
}

export function queueLeave(client: GameClient): Promise<Result> {
  return client.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:leave');
}

export function watch(client: GameClient, req: WatchRequest): Promise<JoinResult> {
  return client.timeout(DEFAULT_WAIT_MS).emitWithAck('room:watch', req);
}

export function leaveRoom(client: GameClient): Promise<Result> {
  return client.timeout(DEFAULT_WAIT_MS).emitWithAck('room:leave');
}

export function rematch(client: GameClient): Promise<Result> {
  return client.timeout(DEFAULT_WAIT_MS).emitWithAck('room:rematch');
}

/** A `queue:matched` as one client received it, with the local time it arrived. */
export interface Matched {
  join: JoinOk;
  atMs: number;
}

/** Records every `queue:matched` the client receives, stamped with performance.now(). */
export function recordMatches(client: GameClient): Matched[] {
  const seen: Matched[] = [];
  client.on('queue:matched', (join) => seen.push({ join, atMs: performance.now() }));
  return seen;
}

export interface QuickMatch {
  left: GameClient;
  right: GameClient;
  leftJoin: JoinOk;
  rightJoin: JoinOk;
  /** The server's room. */
  room: GameRoom;
}

/**
 * Two fresh clients quick-match into one public room; `left` queues first, so it takes the left
 * seat. Resolves once both have their `queue:matched`.
 */
export async function quickMatch(
  env: TestEnv,
  server: TestServer,
  nicknames: [string, string] = ['left', 'right'],
): Promise<QuickMatch> {
  const [a, b] = await Promise.all([env.connected(server), env.connected(server)]);
  const matched = Promise.all([waitFor(a, 'queue:matched'), waitFor(b, 'queue:matched')]);
  expect(await queueJoin(a, nicknames[0])).toEqual({ ok: true });
  expect(await queueJoin(b, nicknames[1])).toEqual({ ok: true });
  const [[aJoin], [bJoin]] = await matched;
  expect(aJoin.role).toBe('left');
  expect(bJoin.role).toBe('right');
  const room = server.app.rooms.getById(aJoin.room.id);
  if (!room) throw new Error(`room ${aJoin.room.id} is not on the server`);
  return { left: a, right: b, leftJoin: aJoin, rightJoin: bJoin, room };
}

/**
 * The live room list as one lobby viewer sees it: the `lobby:subscribe` answer, then every
 * `lobby:rooms` push, in order.
 */
export class LobbyView {
  readonly pushes: RoomListing[][] = [];
  initial: RoomListing[] = [];

  private constructor(readonly client: GameClient) {
    // Listening before subscribing: a push right behind the answer is not lost.
    client.on('lobby:rooms', (rooms) => this.pushes.push(rooms));
  }

  static async subscribe(client: GameClient): Promise<LobbyView> {
    const view = new LobbyView(client);
    view.initial = await client.timeout(DEFAULT_WAIT_MS).emitWithAck('lobby:subscribe');
    return view;
  }

  /** The list as it stands after the last push. */
  get latest(): RoomListing[] {
    return this.pushes.at(-1) ?? this.initial;
  }

  /** Every list this viewer was given, the subscribe answer first. */
  get all(): RoomListing[][] {
    return [this.initial, ...this.pushes];
  }

  /** Resolves with the current list if `predicate` holds for it, else with the next push for which it does. */
  async until(
    predicate: (rooms: RoomListing[]) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<RoomListing[]> {
    if (predicate(this.latest)) return this.latest;
    const [rooms] = await waitFor(this.client, 'lobby:rooms', predicate, timeoutMs);
    return rooms;
  }
}

/** Fails if any of `secrets` (room codes, seat tokens) appears anywhere in `text`. */
export function expectNoSecrets(text: string, secrets: readonly (string | null)[]): void {
  const known = secrets.filter((s): s is string => s !== null);
  expect(known.length).toBeGreaterThan(0);
  for (const secret of known) expect(text, `leaks ${secret}`).not.toContain(secret);
}

export interface ManualServer {
  server: TestServer;
  clock: ManualClock;
  /** Runs exactly `n` game-loop ticks, advancing the clock one period each. */
  runTicks(n: number): void;
  /** Runs ticks until `done()` holds; fails after `maxTicks`. Returns the ticks run. */
  runUntil(done: () => boolean, what: string, maxTicks?: number): number;
}

/**
 * A real server whose game loop only moves when the test says so (a ManualClock, no timer), so a
 * whole match plays out in a few milliseconds and at exactly the ticks the test chose.
 */
export async function startManualServer(
  env: TestEnv,
  overrides: Partial<Config> = {},
  opts: Omit<BuildOptions, 'clock' | 'autoStart'> = {},
): Promise<ManualServer> {
  const clock = new ManualClock(1_000);
  // Ticks run back to back here, with no chance for a client's input to arrive between them, so
  // the link watch (a player silent for stallMs is stalled) is off unless a test asks for it.
  const server = await env.startServer(
    { stallMs: 600_000, ...overrides },
    { ...opts, clock, autoStart: false },
  );
  const periodMs = 1000 / server.config.tickHz;
  const runTicks = (n: number) => {
    for (let i = 0; i < n; i += 1) {
      clock.advance(periodMs);
      let ran = server.app.scheduler.runDue();
      // The summed clock can land a rounding error short of a due time computed from the origin:
      // nudge it by far less than a tick.
      if (ran === 0) {
        clock.advance(1e-6);
        ran = server.app.scheduler.runDue();
      }
      expect(ran).toBe(1);
    }
  };
  const runUntil = (done: () => boolean, what: string, maxTicks = 60 * server.config.tickHz) => {
    let n = 0;
    for (; n < maxTicks && !done(); n += 1) runTicks(1);
    if (!done()) throw new Error(`${what}: not reached in ${maxTicks} ticks`);
    return n;
  };
  return { server, clock, runTicks, runUntil };
}
