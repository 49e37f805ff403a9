import { describe, expect, it } from 'vitest';
import { SOCKET_ABUSE_DROPS } from '../../server/gateway/rate-limiter.ts';
import type { ErrorPayload } from '../../shared/protocol/index.ts';
import { SnapshotLog, waitFor, waitForSnapshot, type GameClient } from '../support/client.ts';
import { useTestEnv, type MatchSetup } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { latenessBetween, scrapeMetrics } from '../support/resilience.ts';

const env = useTestEnv();

const OTHER_ROOMS = 3;
const POINTS_TO_WIN = 3;
/** The flooder must be cut off within this; the flood lasts at most 5 s. */
const FLOOD_MAX_MS = 5_000;
/** Inputs emitted per turn of the event loop: as fast as the client can write them. */
const FLOOD_BATCH = 200;
/** A tick that starts a whole tick period late (60 Hz) is a late tick. */
const LATE_TICK_MS = 16;
/** Share of late ticks tolerated while the flood and the other matches run. */
const MAX_LATE_SHARE = 0.05;

function recordErrors(client: GameClient): ErrorPayload[] {
  const errors: ErrorPayload[] = [];
  client.on('server:error', (e) => errors.push(e));
  return errors;
}

/** A match whose two players hold their paddles against opposite walls: every serve is a point. */
function playToTheEnd(match: MatchSetup) {
  new PlayerBot(match.left, { intent: 1 }).start();
  new PlayerBot(match.right, { intent: -1 }).start();
  return {
    ...match,
    log: new SnapshotLog(match.left),
    errors: [recordErrors(match.left), recordErrors(match.right)],
  };
}

describe('input flood', () => {
  it('a client flooding inputs is throttled, then cut off; the other rooms keep their tick rate', async () => {
    const server = await env.startServer({ pointsToWin: POINTS_TO_WIN });
    const others = await Promise.all(
      Array.from({ length: OTHER_ROOMS }, async () => playToTheEnd(await env.startMatch(server))),
    );
    const { left: flooder, right: victim } = await env.startMatch(server);
    await Promise.all([
      ...others.map((m) => waitForSnapshot(m.left, (s) => s.phase === 'playing')),
      waitForSnapshot(victim, (s) => s.phase === 'playing'),
    ]);

    const before = await scrapeMetrics(server.url);
    const flooderErrors = recordErrors(flooder);
    const cut = waitFor(flooder, 'disconnect', () => true, FLOOD_MAX_MS);
    const paused = waitFor(victim, 'room:state', (s) => s.phase === 'paused', FLOOD_MAX_MS);
    // Settled early by a failing test too: nothing may be left unhandled.
    paused.catch(() => undefined);
    let sent = 0;
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    cut.then(stop, stop);
    // Valid inputs from the seat's owner: only their rate is wrong.
    const pump = () => {
      if (stopped || !flooder.connected) return;
      for (let i = 0; i < FLOOD_BATCH; i += 1) {
        sent += 1;
        flooder.emit('input', [sent, 1, 1]);
      }
      setImmediate(pump);
    };
    pump();

    const [reason] = await cut;
    expect(reason).toBe('io server disconnect');
    // Told why, once, just before the cut; its valid inputs drew no other complaint.
    expect(flooderErrors.map((e) => e.code)).toEqual(['RATE_LIMITED']);
    // Its seat is held like any dropped player's.
    await paused;

    // The other matches play on to their normal end, never paused, never refused.
    const finals = await Promise.all(
      others.map(async (m) => {
        const [final] = await waitFor(m.left, 'room:state', (s) => s.phase === 'finished', 30_000);
        return { final, last: await waitForSnapshot(m.left, (s) => s.phase === 'finished'), m };
      }),
    );
    const after = await scrapeMetrics(server.url);

    for (const { final, last, m } of finals) {
      expect(final.winner).not.toBeNull();
      expect(last.scores[final.winner === 'left' ? 0 : 1]).toBe(POINTS_TO_WIN);
      expect(m.log.snapshots.some((s) => s.phase === 'paused')).toBe(false);
      expect(m.errors.flat()).toEqual([]);
    }

    // Throttled before it was cut: the limiter dropped a full abuse allowance of its inputs first.
    const delta = (name: string, labels: Record<string, string> = {}) =>
      after.value(name, labels) - before.value(name, labels);
    expect(sent).toBeGreaterThan(SOCKET_ABUSE_DROPS);
    expect(delta('pong_inputs_dropped_total', { reason: 'rate_limited' })).toBeGreaterThanOrEqual(
      SOCKET_ABUSE_DROPS,
    );
    expect(delta('pong_rejected_messages_total', { code: 'RATE_LIMITED' })).toBeGreaterThanOrEqual(
      SOCKET_ABUSE_DROPS,
    );
    expect(delta('pong_abusive_disconnects_total')).toBe(1);

    // The game loop kept its rhythm through all of it, as the server itself measured.
    const { ticks, late } = latenessBetween(before, after, 'pong_tick_lateness_ms', LATE_TICK_MS);
    expect(ticks).toBeGreaterThan(60);
    expect(
      late / ticks,
      `${late} of ${ticks} ticks started more than ${LATE_TICK_MS} ms late`,
    ).toBeLessThanOrEqual(MAX_LATE_SHARE);
  });
});
