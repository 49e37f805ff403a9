import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import { FIELD_HEIGHT_PX, PADDLE_HEIGHT_PX } from '../../shared/constants.ts';
import type { RoomInfo, RoomPhase } from '../../shared/protocol/messages.ts';
import { SnapshotLog, waitFor, waitForSnapshot, type GameClient } from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';

const env = useTestEnv();
const MATCH_MS = 20_000;
/** Paddle centre when held against the top wall; the bottom one mirrors it. */
const TOP_PADDLE_Y = PADDLE_HEIGHT_PX / 2;
const BOTTOM_PADDLE_Y = FIELD_HEIGHT_PX - TOP_PADDLE_Y;
/** How long an ack is watched after a player stops sending: 30 ticks, well past MAX_QUEUED_TICKS. */
const LATER_WINDOW_MS = 500;

/** Every room:state a client receives, after the one its join ack carried. */
function recordStates(client: GameClient): RoomInfo[] {
  const states: RoomInfo[] = [];
  client.on('room:state', (info) => states.push(info));
  return states;
}

/** Phases in the order they were seen, without repeats and without the pre-match 'waiting'. */
function phaseSequence(states: RoomInfo[]): RoomPhase[] {
  const phases: RoomPhase[] = [];
  for (const { phase } of states) if (phase !== phases.at(-1)) phases.push(phase);
  return phases.filter((p) => p !== 'waiting');
}

function expectScoresStepByOne(snapshots: Snapshot[]): void {
  for (let i = 1; i < snapshots.length; i += 1) {
    const prev = (snapshots[i - 1] as Snapshot).scores;
    const cur = (snapshots[i] as Snapshot).scores;
    const dl = cur[0] - prev[0];
    const dr = cur[1] - prev[1];
    expect(dl >= 0 && dr >= 0 && dl + dr <= 1, `scores went from ${prev} to ${cur}`).toBe(true);
  }
}

describe('a whole match between two clients', () => {
  it('runs countdown → playing → finished, and the scores agree with the winner', async () => {
    const server = await env.startServer({ pointsToWin: 2 });
    const left = await env.connected(server);
    const right = await env.connected(server);
    const leftStates = recordStates(left);
    const rightStates = recordStates(right);
    const leftLog = new SnapshotLog(left);
    const rightLog = new SnapshotLog(right);

    const leftJoin = await createRoom(left, 'alice');
    expect(leftJoin.role).toBe('left');
    expect(leftJoin.rules.pointsToWin).toBe(2);
    // Each serve reaches the goal line at least 90 px from either wall, so a paddle parked
    // against a wall never touches it: every rally ends in a point, whoever serves.
    new PlayerBot(left, { intent: 1 }).start();
    const rightJoin = await joinRoom(right, { code: leftJoin.code, nickname: 'bob' });
    expect(rightJoin.role).toBe('right');
    new PlayerBot(right, { intent: -1 }).start();

    const [final] = await waitFor(left, 'room:state', (s) => s.phase === 'finished', MATCH_MS);
    await waitFor(right, 'room:state', (s) => s.phase === 'finished');
    // The stream goes on after the match ends: wait until both have a finished snapshot.
    await Promise.all([
      waitForSnapshot(left, (s) => s.phase === 'finished'),
      waitForSnapshot(right, (s) => s.phase === 'finished'),
    ]);

    expect(final.winner).not.toBeNull();
    const winnerSeat = final.winner === 'left' ? 0 : 1;
    expect(rightStates.at(-1)?.winner).toBe(final.winner);

    for (const [log, join, states] of [
      [leftLog, leftJoin, leftStates],
      [rightLog, rightJoin, rightStates],
    ] as const) {
      const snapshots = log.snapshots;
      const last = snapshots.at(-1) as Snapshot;
      expect(last.phase).toBe('finished');
      expect(last.scores[winnerSeat]).toBe(2);
      expect(last.scores[1 - winnerSeat]).toBeLessThan(2);
      expectScoresStepByOne(snapshots);

      // One countdown before each serve; a point that does not end the match starts the next one.
      // The snapshots carry every phase.
      const points = last.scores[0] + last.scores[1];
      const expected = [...Array.from({ length: points }, () => ['countdown', 'playing']).flat(), 'finished'];
      const snapshotPhases: RoomPhase[] = [];
      for (const s of snapshots) if (s.phase !== snapshotPhases.at(-1)) snapshotPhases.push(s.phase);
      expect(snapshotPhases.filter((p) => p !== 'waiting')).toEqual(expected);

      // room:state is not sent for the serve flips (the snapshots carry them): only when the
      // roster changes (the match starts) and when it ends.
      expect(phaseSequence([join.room, ...states])).toEqual(['countdown', 'finished']);
    }
    // The paddles went where the bots held them.
    expect(leftLog.last?.paddles[0]).toBeCloseTo(BOTTOM_PADDLE_Y, 1);
    expect(leftLog.last?.paddles[1]).toBeCloseTo(TOP_PADDLE_Y, 1);
  });
});

describe('input acknowledgement', () => {
  it("each seat's ack in the snapshots reaches the last sequence its player sent, modulo 2^16", async () => {
    // Enough points that the match is still on while the test runs.
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right } = await env.startMatch(server);
    await waitForSnapshot(left, (s) => s.phase === 'playing');

    // Start near and far past the 16-bit wrap so a seat's ack only matches if its own inputs were
    // applied: the server never acknowledges a tick it did not receive.
    const leftBot = new PlayerBot(left, { intent: -1, startSeq: 65_520 }).start();
    const rightBot = new PlayerBot(right, { intent: 1, startSeq: 1_000_000 }).start();
    // The inputs move the paddles: left holds up, right holds down, until both reach their wall.
    await waitForSnapshot(
      left,
      (s) =>
        s.paddles[0] <= TOP_PADDLE_Y + 0.5 && s.paddles[1] >= BOTTOM_PADDLE_Y - 0.5 && leftBot.seq > 65_536,
    );
    leftBot.stop();
    rightBot.stop();
    const lastSent = [leftBot.seq, rightBot.seq] as const;

    // Each seat's ack reaches exactly the last tick its player sent...
    const reached = (s: Snapshot, seat: 0 | 1) => s.acks[seat] === (lastSent[seat] & 0xffff);
    const at = await waitForSnapshot(left, (s) => reached(s, 0) && reached(s, 1));
    // ...and goes no further: with nothing more sent, the server keeps ticking (it never guesses a
    // tick), and every later snapshot, for a while longer than the input queue is deep, repeats it.
    const later: Snapshot[] = [];
    await waitForSnapshot(left, (s) => {
      later.push(s);
      return s.serverTimeMs - at.serverTimeMs >= LATER_WINDOW_MS;
    });
    expect(later.length).toBeGreaterThanOrEqual(LATER_WINDOW_MS / (1000 / 30));
    for (const s of later) expect(s.acks).toEqual([lastSent[0] & 0xffff, lastSent[1] & 0xffff]);
  });

  // Regression: when the server used to guess a dry seat's ticks, a client sending exactly in step
  // never repaid the guessed ticks and its paddle kept its old intent for good. Now the server waits
  // for late ticks instead of guessing; a seat whose inputs start late must still steer.
  it('players whose first inputs arrive late (the link watch paused the match) still steer', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right } = await env.startMatch(server);
    // Nobody sends anything through the countdown: both seats go quiet and the match pauses.
    await waitForSnapshot(left, (s) => s.phase === 'paused');
    let intent: -1 | 1 = -1;
    new PlayerBot(right).start();
    new PlayerBot(left, { intent: () => intent }).start();
    await waitForSnapshot(left, (s) => s.phase === 'playing');
    await waitForSnapshot(left, (s) => s.paddles[0] <= TOP_PADDLE_Y + 0.5);
    intent = 1;
    await waitForSnapshot(left, (s) => s.paddles[0] >= BOTTOM_PADDLE_Y - 0.5);
  });
});
