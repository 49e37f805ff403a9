import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../server/rooms/clock.ts';
import { expectTimeAdvances, roundTrip, SnapshotLog, waitFor } from '../support/client.ts';
import { joinRoom, useTestEnv } from '../support/env.ts';
import type { TestServer } from '../support/server.ts';

const env = useTestEnv();

/**
 * The game loop runs on a ManualClock here, so the test decides exactly which ticks happen
 * between two observations; roundTrip() then proves everything sent on those ticks has arrived.
 */
async function startManualServer(): Promise<{
  server: TestServer;
  runTicks: (n: number) => void;
  clock: ManualClock;
}> {
  const clock = new ManualClock(1_000);
  const server = await env.startServer({}, { clock, autoStart: false });
  const periodMs = 1000 / server.config.tickHz;
  const runTicks = (n: number) => {
    for (let i = 0; i < n; i += 1) {
      clock.advance(periodMs);
      expect(server.app.scheduler.runDue()).toBe(1);
    }
  };
  return { server, runTicks, clock };
}

describe('spectators', () => {
  it('a third client is a spectator, gets a full snapshot at once, then the players’ exact stream', async () => {
    const { server, runTicks, clock } = await startManualServer();
    const { left, code } = await env.startMatch(server);
    runTicks(30);
    await roundTrip(left);

    const spectator = await env.connected(server);
    const specLog = new SnapshotLog(spectator);
    const rosterSeen = waitFor(left, 'room:state', (s) => s.spectators === 1);
    const joined = await joinRoom(spectator, { code, nickname: 'carol' });
    expect(joined.role).toBe('spectator');
    expect(joined.token).toBeNull();
    expect(joined.room.spectators).toBe(1);
    expect(joined.room.players.map((p) => p?.connected)).toEqual([true, true]);
    await rosterSeen;

    // One tick after the join: the spectator gets one snapshot more than a player does.
    const playerLog = new SnapshotLog(left);
    runTicks(1);
    await Promise.all([roundTrip(spectator), roundTrip(left)]);
    expect(specLog.received.length).toBe(playerLog.received.length + 1);
    const welcome = specLog.received[0]?.snapshot;
    expect(welcome?.serverTimeMs).toBe(Math.round(clock.now()));
    expect(welcome?.phase).toBe('playing');

    // From then on the spectator sees exactly what the players see, byte for byte.
    runTicks(60);
    await Promise.all([roundTrip(spectator), roundTrip(left)]);
    const stream = specLog.received.slice(1);
    expect(stream.length).toBe(playerLog.received.length);
    expect(stream.length).toBeGreaterThanOrEqual(30);
    expect(stream.map((r) => r.snapshot.serverTimeMs)).toEqual(
      playerLog.received.map((r) => r.snapshot.serverTimeMs),
    );
    for (const [i, r] of stream.entries()) {
      expect(
        Buffer.from(r.bytes).equals(Buffer.from(playerLog.received[i]?.bytes ?? [])),
        `snapshot ${i}`,
      ).toBe(true);
    }
    // No welcome in the middle: every snapshot of the stream is a tick of its own.
    const times = stream.map((r) => r.snapshot.serverTimeMs);
    expect(new Set(times).size).toBe(times.length);
    expectTimeAdvances(stream);
  });
});
