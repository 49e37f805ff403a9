import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import type { ErrorPayload, JoinOk } from '../../shared/protocol/index.ts';
import {
  expectTimeAdvances,
  SnapshotLog,
  waitFor,
  waitForSnapshot,
  type ClientOptions,
  type GameClient,
} from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { cutConnection } from '../support/resilience.ts';

const env = useTestEnv();

const MATCH_MS = 30_000;
/** What a WebSocket-blocking proxy leaves: HTTP long-polling, never upgraded. */
const POLLING: ClientOptions = { transports: ['polling'], upgrade: false };
/** socket.io's own reconnection, quick and without jitter, as the browser client has it. */
const RECONNECTING: ClientOptions = {
  reconnection: true,
  reconnectionDelay: 50,
  reconnectionDelayMax: 50,
  randomizationFactor: 0,
};

function recordErrors(client: GameClient): ErrorPayload[] {
  const errors: ErrorPayload[] = [];
  client.on('server:error', (e) => errors.push(e));
  return errors;
}

const total = (s: Snapshot) => s.scores[0] + s.scores[1];

describe('a polling-only player and a WebSocket player', () => {
  it('play a whole match together and see the same game', async () => {
    const server = await env.startServer({ pointsToWin: 2 });
    const polling = await env.connected(server, POLLING);
    const websocket = await env.connected(server);
    const pollingLog = new SnapshotLog(polling);
    const websocketLog = new SnapshotLog(websocket);
    const errors = [recordErrors(polling), recordErrors(websocket)];

    const { code } = await createRoom(polling, 'behind-a-proxy');
    expect((await joinRoom(websocket, { code, nickname: 'on-websocket' })).role).toBe('right');
    // The polling player holds its paddle at the bottom, the other at the top: every serve scores.
    const pollingBot = new PlayerBot(polling, { intent: 1 }).start();
    const websocketBot = new PlayerBot(websocket, { intent: -1 }).start();

    const pollingDone = waitFor(polling, 'room:state', (s) => s.phase === 'finished', MATCH_MS);
    const websocketDone = waitFor(websocket, 'room:state', (s) => s.phase === 'finished', MATCH_MS);
    const [[pollingFinal], [websocketFinal]] = await Promise.all([pollingDone, websocketDone]);
    expect(pollingFinal.winner).not.toBeNull();
    expect(websocketFinal.winner).toBe(pollingFinal.winner);
    const [pollingLast, websocketLast] = await Promise.all([
      waitForSnapshot(polling, (s) => s.phase === 'finished'),
      waitForSnapshot(websocket, (s) => s.phase === 'finished'),
    ]);
    expect(pollingLast.scores).toEqual(websocketLast.scores);
    expect(pollingLast.scores[pollingFinal.winner === 'left' ? 0 : 1]).toBe(2);

    // Both players' inputs reached the server: acks follow what each sent, paddles went to the walls.
    expect(pollingLast.acks[0]).toBeGreaterThan(10);
    expect(pollingLast.acks[1]).toBeGreaterThan(10);
    expect(pollingBot.sent).toBeGreaterThan(10);
    expect(websocketBot.sent).toBeGreaterThan(10);
    expect(pollingLast.paddles[0]).toBeGreaterThan(pollingLast.paddles[1]);
    // Both streams are whole and in order, over either transport.
    for (const log of [pollingLog, websocketLog]) {
      expect(log.received.length).toBeGreaterThan(30);
      expectTimeAdvances(log.received);
    }
    expect(errors.flat()).toEqual([]);
    // Nobody was upgraded behind the test's back.
    expect(polling.io.engine.transport.name).toBe('polling');
    expect(websocket.io.engine.transport.name).toBe('websocket');
  });
});

describe('a connection cut mid-match', () => {
  it('pauses the match for everyone with a grace countdown; socket.io reconnects and the seat token resumes it, score intact', async () => {
    const graceMs = 10_000;
    const server = await env.startServer({ pointsToWin: 2, reconnectGraceMs: graceMs });
    const left = await env.connected(server, RECONNECTING);
    const right = await env.connected(server, POLLING);
    const spectator = await env.connected(server);
    const created = await createRoom(left, 'wifi');
    const token = created.token ?? undefined;
    expect(token).toBeDefined();
    await joinRoom(right, { code: created.code, nickname: 'proxy' });
    await joinRoom(spectator, { code: created.code });
    const errors = [recordErrors(left), recordErrors(right), recordErrors(spectator)];
    new PlayerBot(left, { intent: 1 }).start();
    new PlayerBot(right, { intent: -1 }).start();
    await waitForSnapshot(right, (s) => total(s) >= 1, MATCH_MS);

    // Like the browser client: once socket.io is back, take the seat again with the token. The
    // test holds the rejoin until the others have watched the grace countdown tick down.
    let countdownSeen: () => void = () => undefined;
    const mayRejoin = new Promise<void>((resolve) => (countdownSeen = resolve));
    const rejoined = new Promise<JoinOk>((resolve, reject) => {
      left.once('connect', () => {
        void mayRejoin.then(() => joinRoom(left, { code: created.code, token })).then(resolve, reject);
      });
    });
    const firstId = left.id;
    const pauses = [right, spectator].map((c) => waitFor(c, 'room:state', (s) => s.phase === 'paused'));
    const dropped = waitFor(left, 'disconnect');
    cutConnection(left);
    expect((await dropped)[0]).toBe('transport close');

    for (const [state] of await Promise.all(pauses)) {
      expect(state.players).toEqual([
        { nickname: 'wifi', connected: false },
        { nickname: 'proxy', connected: true },
      ]);
    }
    const frozen = await waitForSnapshot(right, (s) => s.phase === 'paused');
    expect(total(frozen)).toBeGreaterThanOrEqual(1);
    expect(frozen.timerTenths).toBeGreaterThan(0);
    expect(frozen.timerTenths).toBeLessThanOrEqual(graceMs / 100);
    const [rightLater, spectatorLater] = await Promise.all(
      [right, spectator].map((c) =>
        waitForSnapshot(c, (s) => s.phase === 'paused' && s.timerTenths < frozen.timerTenths),
      ),
    );
    for (const later of [rightLater, spectatorLater] as Snapshot[]) {
      // Nothing moves while the seat is empty; only the countdown does.
      expect(later.scores).toEqual(frozen.scores);
      expect(later.ball).toEqual(frozen.ball);
    }
    const resumed = waitFor(right, 'room:state', (s) => s.phase === 'countdown');
    const welcome = waitForSnapshot(left);
    countdownSeen();

    const back = await rejoined;
    expect(left.id).not.toBe(firstId);
    expect(back.role).toBe('left');
    expect(back.token).toBe(token);
    expect((await resumed)[0].players.map((p) => p?.connected)).toEqual([true, true]);
    // The returning player starts from the match as it stood.
    expect((await welcome).scores).toEqual(frozen.scores);

    const [final] = await waitFor(right, 'room:state', (s) => s.phase === 'finished', MATCH_MS);
    const last = await waitForSnapshot(left, (s) => s.phase === 'finished');
    expect(last.scores[final.winner === 'left' ? 0 : 1]).toBe(2);
    // Play went on from the frozen score, not from zero.
    expect(last.scores[0]).toBeGreaterThanOrEqual(frozen.scores[0]);
    expect(last.scores[1]).toBeGreaterThanOrEqual(frozen.scores[1]);
    expect(total(last)).toBeGreaterThan(total(frozen));
    expect(errors.flat()).toEqual([]);
  });

  it('forfeits when the player does not come back within the grace, keeping the score', async () => {
    const server = await env.startServer({ pointsToWin: 2, reconnectGraceMs: 300 });
    const left = await env.connected(server);
    const right = await env.connected(server, POLLING);
    const spectator = await env.connected(server);
    const { code } = await createRoom(left);
    await joinRoom(right, { code });
    await joinRoom(spectator, { code });
    new PlayerBot(left, { intent: 1 }).start();
    new PlayerBot(right, { intent: -1 }).start();
    await waitForSnapshot(right, (s) => total(s) >= 1, MATCH_MS);

    const forfeits = [right, spectator].map((c) => waitFor(c, 'room:state', (s) => s.phase === 'finished'));
    const paused = waitForSnapshot(spectator, (s) => s.phase === 'paused');
    cutConnection(left);
    const frozen = await paused;
    for (const [state] of await Promise.all(forfeits)) expect(state.winner).toBe('right');
    const last = await waitForSnapshot(spectator, (s) => s.phase === 'finished');
    expect(last.scores).toEqual(frozen.scores);
    expect(total(last)).toBeGreaterThanOrEqual(1);
  });

  it("a spectator's cut reserves nothing: the match does not pause", async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right, code } = await env.startMatch(server);
    const spectator = await env.connected(server);
    await joinRoom(spectator, { code });
    const log = new SnapshotLog(left);
    await waitForSnapshot(left, (s) => s.phase === 'playing');

    const gone = waitFor(right, 'room:state', (s) => s.spectators === 0);
    cutConnection(spectator);
    const [state] = await gone;
    expect(state.phase).toBe('playing');
    const cutAt = await waitForSnapshot(left);
    await waitForSnapshot(left, (s) => s.serverTimeMs > cutAt.serverTimeMs + 500);
    expect(log.snapshots.some((s) => s.phase === 'paused')).toBe(false);
  });
});
