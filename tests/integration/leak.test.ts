import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ComputerLevel } from '../../shared/protocol/index.ts';
import {
  closeClient,
  connect,
  DEFAULT_WAIT_MS,
  expectJoined,
  waitFor,
  waitForSnapshot,
  type GameClient,
} from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { scrapeMetrics } from '../support/resilience.ts';
import { waitForServer, type TestServer } from '../support/server.ts';

const env = useTestEnv();

const MATCHES = 500;
/** Matches in flight at once: enough to overlap every lifecycle, few enough for two cores. */
const CONCURRENCY = 50;
/** Heap a second batch of 250 matches may add over the first, after a full GC. */
const MAX_HEAP_GROWTH_BYTES = 8 * 1024 * 1024;
const LEVELS: readonly ComputerLevel[] = ['easy', 'normal', 'hard'];

/** A full GC on demand, without restarting the test process with --expose-gc. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Clients opened here are not kept by the per-test teardown (that would hold hundreds of closed
 * sockets in the heap being measured): each flow closes its own, and only the still-open ones
 * are closed at teardown.
 */
const live = new Set<GameClient>();

async function open(server: TestServer): Promise<GameClient> {
  const client = connect(server.url);
  live.add(client);
  if (!client.connected) await waitFor(client, 'connect');
  return client;
}

function close(...clients: GameClient[]): void {
  for (const c of clients) {
    closeClient(c);
    live.delete(c);
  }
}

async function privateMatch(server: TestServer) {
  const [left, right] = await Promise.all([open(server), open(server)]);
  const { code } = await createRoom(left, 'left');
  await joinRoom(right, { code, nickname: 'right' });
  return { left, right, code };
}

const ack = (client: GameClient, event: 'room:leave') => client.timeout(DEFAULT_WAIT_MS).emitWithAck(event);

/** The ways a match can end; match i goes the way of FLOWS[i % FLOWS.length]. */
const FLOWS: ((server: TestServer, i: number) => Promise<void>)[] = [
  async function finishedWithASpectator(server) {
    const m = await privateMatch(server);
    const spectator = await open(server);
    await joinRoom(spectator, { code: m.code });
    const clients = [m.left, m.right, spectator];
    const closed = clients.map((c) => waitFor(c, 'room:left', (r) => r.reason === 'finished', 15_000));
    new PlayerBot(m.left, { intent: 1 }).start();
    new PlayerBot(m.right, { intent: -1 }).start();
    await Promise.all(closed);
    close(...clients);
  },
  async function bothLeave(server) {
    const m = await privateMatch(server);
    await waitForSnapshot(m.left, (s) => s.phase === 'playing');
    expect(await Promise.all([ack(m.left, 'room:leave'), ack(m.right, 'room:leave')])).toEqual([
      { ok: true },
      { ok: true },
    ]);
    close(m.left, m.right);
  },
  async function oneDropsAndForfeits(server) {
    const m = await privateMatch(server);
    await waitForSnapshot(m.right, (s) => s.phase === 'playing');
    const forfeit = waitFor(m.right, 'room:state', (s) => s.phase === 'finished');
    const closed = waitFor(m.right, 'room:left', (r) => r.reason === 'finished');
    close(m.left);
    expect((await forfeit)[0].winner).toBe('right');
    await closed;
    close(m.right);
  },
  async function bothDrop(server) {
    const m = await privateMatch(server);
    await waitForSnapshot(m.left, (s) => s.phase === 'playing');
    close(m.left, m.right);
  },
  async function creatorDropsBeforeAnyoneJoins(server) {
    const creator = await open(server);
    await createRoom(creator);
    close(creator);
  },
  async function nobodyJoins(server) {
    const creator = await open(server);
    const closed = waitFor(creator, 'room:left', (r) => r.reason === 'nobody joined in time');
    await createRoom(creator);
    await closed;
    close(creator);
  },
  async function quickMatchThenLeave(server) {
    // Queued players may be paired across flows: each only waits for its own match.
    const players = await Promise.all([open(server), open(server)]);
    await Promise.all(
      players.map(async (c, n) => {
        const matched = waitFor(c, 'queue:matched');
        const welcome = waitFor(c, 'snapshot');
        expect(await c.timeout(DEFAULT_WAIT_MS).emitWithAck('queue:join', { nickname: `q${n}` })).toEqual({
          ok: true,
        });
        await matched;
        await welcome;
        if (n === 0) expect(await ack(c, 'room:leave')).toEqual({ ok: true });
        close(c);
      }),
    );
  },
  async function practiceFromTheLobby(server, i) {
    const player = await open(server);
    await player.timeout(DEFAULT_WAIT_MS).emitWithAck('lobby:subscribe');
    const level = LEVELS[i % LEVELS.length] as ComputerLevel;
    expectJoined(await player.timeout(DEFAULT_WAIT_MS).emitWithAck('practice:create', { level }));
    await waitForSnapshot(player, (s) => s.phase === 'playing');
    close(player);
  },
];

/** Runs matches [from, to) with at most CONCURRENCY in flight. */
async function runMatches(server: TestServer, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next;
      next += 1;
      const flow = FLOWS[i % FLOWS.length] as (server: TestServer, i: number) => Promise<void>;
      try {
        await flow(server, i);
      } catch (err) {
        throw new Error(`match ${i} (${flow.name}) failed: ${String(err)}`, { cause: err });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Waits, from inside the game loop, until nothing of any match is left on the server. */
async function serverAtRest(server: TestServer): Promise<void> {
  const { app } = server;
  await waitForServer(
    app,
    () => app.rooms.size === 0 && app.io.engine.clientsCount === 0 && app.queue.size === 0,
    'every room, socket and queue entry to be gone',
    15_000,
  );
}

/** Listeners on the server's long-lived emitters: per-connection ones must come off again. */
function listenerCounts(server: TestServer): Record<string, number> {
  const { app } = server;
  const emitters = { io: app.io, namespace: app.io.sockets, engine: app.io.engine, http: app.http.server };
  const counts: Record<string, number> = {};
  for (const [name, emitter] of Object.entries(emitters)) {
    for (const event of emitter.eventNames()) {
      counts[`${name}:${String(event)}`] = emitter.listenerCount(event);
    }
  }
  return counts;
}

/** Timers and sockets alive in this process (server and clients), by kind. */
function handleCounts(): { timers: number; sockets: number } {
  const kinds = process.getActiveResourcesInfo();
  return {
    timers: kinds.filter((k) => k === 'Timeout').length,
    sockets: kinds.filter((k) => k === 'TCPSocketWrap').length,
  };
}

/** Everything the server counts is back where an idle server starts. */
async function expectBaseline(server: TestServer): Promise<void> {
  const { app } = server;
  expect(app.rooms.size).toBe(0);
  expect(app.scheduler.size).toBe(server.idleTickables);
  expect(app.queue.size).toBe(0);
  expect(await app.directory.list()).toEqual([]);
  expect(app.io.sockets.sockets.size).toBe(0);
  // socket.io's rooms are the channels sockets listen on (a room's, the lobby's, their own).
  expect(app.io.sockets.adapter.rooms.size).toBe(0);
  const m = await scrapeMetrics(server.url);
  expect(m.required('pong_scheduler_targets')).toBe(2);
  expect(m.required('pong_sockets')).toBe(0);
  expect(m.required('pong_queue_length')).toBe(0);
  expect(m.required('pong_players')).toBe(0);
  expect(m.required('pong_spectators')).toBe(0);
  expect(m.value('pong_rooms')).toBe(0);
}

describe('nothing outlives a match', () => {
  it('500 matches played and abandoned leave no room, timer, socket or heap behind', async () => {
    const server = await env.startServer({
      pointsToWin: 1,
      countdownMs: 50,
      reconnectGraceMs: 50,
      privateRoomJoinDeadlineMs: 500,
      finishedRoomTtlMs: 50,
    });
    env.defer(() => close(...live));
    const gc = gcFunction();
    // An idle server steps two things: the lobby publisher and the quick-match pairer.
    expect(server.idleTickables).toBe(2);
    await expectBaseline(server);
    const listeners = listenerCounts(server);
    const handles = handleCounts();

    const heapAfter: number[] = [];
    for (const [from, to] of [
      [0, MATCHES / 2],
      [MATCHES / 2, MATCHES],
    ] as const) {
      await runMatches(server, from, to);
      expect(live.size).toBe(0);
      await serverAtRest(server);
      await expectBaseline(server);
      expect(server.app.rooms.createdTotal).toBe(to);
      expect(listenerCounts(server)).toEqual(listeners);
      // The game loop's one timer, and no socket beyond the ones open before the first match.
      const now = handleCounts();
      expect(now.timers).toBeLessThanOrEqual(handles.timers);
      expect(now.sockets).toBeLessThanOrEqual(handles.sockets);
      gc();
      heapAfter.push(process.memoryUsage().heapUsed);
    }
    const [first, second] = heapAfter as [number, number];
    const growth = second - first;
    expect(growth, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`).toBeLessThan(
      MAX_HEAP_GROWTH_BYTES,
    );
  });
});
