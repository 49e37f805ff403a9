import { describe, expect, it } from 'vitest';
import {
  ReplayPlayer,
  REPLAY_CHECKPOINT_STEPS,
  type RecordedMatch,
} from '../../client/src/replay/replay-player.ts';
import { InputRecorder, type Forfeit } from '../../shared/replay/input-log.ts';
import { base64urlToBytes, bytesToBase64url } from '../../shared/replay/base64url.ts';
import { decodeInputLog, encodeInputLog } from '../../shared/replay/log-codec.ts';
import { replay } from '../../shared/replay/replay.ts';
import { createMatch, step } from '../../shared/sim/step.ts';
import type { Intent, MatchState, Rules } from '../../shared/sim/types.ts';
import { rulesAt, sloppyPlayer, stateBits } from './support/sim.ts';

/**
 * Plays a match with two sloppy players the way the server does, recording every step, and returns
 * it as the replay page receives it (the log through its binary and base64url forms).
 */
function recordMatch(seed: number, rules: Rules, stopAfter = Infinity, forfeitSeat: 0 | 1 = 1) {
  const drivers = [sloppyPlayer(seed + 1), sloppyPlayer(seed + 2)] as const;
  const recorder = new InputRecorder();
  let state = createMatch(seed, rules);
  while (state.phase !== 'finished' && recorder.steps < stopAfter) {
    const inputs: [Intent, Intent] = [drivers[0](state, 0), drivers[1](state, 1)];
    recorder.record(inputs[0], inputs[1]);
    state = step(state, inputs, rules);
    if (recorder.steps % 500 === 0) recorder.idle(); // a pause: never played back, never changes a thing
  }
  const forfeit: Forfeit | null =
    state.phase === 'finished' ? null : { seat: forfeitSeat, atStep: recorder.steps };
  const wire = bytesToBase64url(encodeInputLog(recorder.log()));
  const match: RecordedMatch = { seed, rules, log: decodeInputLog(base64urlToBytes(wire)), forfeit };
  return { match, state };
}

const RULES = rulesAt(60, 5);
const stepMs = 1000 / RULES.tickHz;

describe('ReplayPlayer', () => {
  it('plays at 1× to the recorded final score, bit for bit, and finishes exactly at the end', () => {
    const { match, state } = recordMatch(11, RULES);
    const player = new ReplayPlayer(match, 0);
    expect(player.status).toBe('playing');
    expect(player.totalSteps).toBeGreaterThan(REPLAY_CHECKPOINT_STEPS * 2);

    let now = 0;
    let seen = 0;
    // Frames at ~60 fps, a little uneven, up to just before the end.
    const endMs = player.durationMs;
    while (now + 20 < endMs) {
      now += 16 + (seen % 3);
      player.update(now);
      seen += 1;
      expect(player.step).toBe(Math.floor((now * RULES.tickHz) / 1000));
    }
    expect(player.status).toBe('playing');
    player.update(endMs + 1);
    expect(player.status).toBe('finished');
    expect(player.step).toBe(player.totalSteps);
    expect(player.state.scores).toEqual(state.scores);
    expect(stateBits(player.state)).toBe(stateBits(state));
    expect(stateBits(player.final)).toBe(stateBits(replay(match.seed, match.rules, match.log)));
    // Finished stays finished.
    player.update(endMs + 10_000);
    expect(player.status).toBe('finished');
  });

  it('runs faster at 2×, 4× and 8×, keeping its place when the speed changes', () => {
    const { match } = recordMatch(12, RULES);
    const player = new ReplayPlayer(match, 1000);
    player.update(2000);
    expect(player.step).toBe(60);
    player.setSpeed(4, 2000);
    expect(player.step).toBe(60);
    player.update(2500);
    expect(player.step).toBe(60 + 120);
    player.setSpeed(8, 2500);
    player.update(3000);
    expect(player.step).toBe(180 + 240);
    player.setSpeed(2, 3000);
    player.update(3500);
    expect(player.step).toBe(420 + 60);
    expect(player.speed).toBe(2);
  });

  it('seeks anywhere, backwards and forwards, to exactly the state the simulation had there', () => {
    const { match } = recordMatch(13, RULES);
    const player = new ReplayPlayer(match, 0, { autoplay: false });
    const total = player.totalSteps;
    const targets = [
      total - 1,
      0,
      1,
      299,
      300,
      301,
      7,
      total - 301,
      Math.floor(total / 2),
      601,
      600,
      2,
      total,
    ];
    for (const target of targets) {
      player.seek(target, 0);
      expect(player.step).toBe(target);
      const expected = replay(match.seed, match.rules, match.log, null, target);
      expect(stateBits(player.state)).toBe(stateBits(expected));
    }
    // Out of range is clamped.
    player.seek(-5, 0);
    expect(player.step).toBe(0);
    player.seek(total + 1000, 0);
    expect(player.step).toBe(total);
  });

  it('keeps playing after a seek while playing, stays paused after a seek while paused', () => {
    const { match } = recordMatch(14, RULES);
    const player = new ReplayPlayer(match, 0);
    player.seek(600, 100);
    expect(player.status).toBe('playing');
    player.update(100 + 10 * stepMs + 1);
    expect(player.step).toBe(610);

    player.pause(100 + 10 * stepMs + 1);
    expect(player.status).toBe('paused');
    player.update(50_000);
    expect(player.step).toBe(610);
    player.seek(200, 50_000);
    expect(player.status).toBe('paused');
    player.update(60_000);
    expect(player.step).toBe(200);

    player.play(60_000);
    player.update(60_000 + 1000);
    expect(player.step).toBe(260);
  });

  it('finishes when sought to the end, and Play at the end starts over', () => {
    const { match, state } = recordMatch(15, RULES);
    const player = new ReplayPlayer(match, 0, { autoplay: false });
    player.seek(player.totalSteps, 0);
    expect(player.status).toBe('finished');
    expect(player.state.scores).toEqual(state.scores);
    player.seek(10, 0);
    expect(player.status).toBe('paused');
    player.seek(player.totalSteps, 0);
    player.play(5);
    expect(player.status).toBe('playing');
    expect(player.step).toBe(0);
    player.update(5 + 1000);
    expect(player.step).toBe(60);
  });

  it('marks every point on the timeline at the step it was scored', () => {
    const { match, state } = recordMatch(16, RULES);
    const player = new ReplayPlayer(match, 0, { autoplay: false });
    expect(player.points.length).toBe(state.scores[0] + state.scores[1]);
    expect(player.points.at(-1)?.scores).toEqual(state.scores);
    for (const p of player.points) {
      player.seek(p.step - 1, 0);
      const before: MatchState = player.state;
      player.seek(p.step, 0);
      expect(player.state.scores[p.seat]).toBe(before.scores[p.seat] + 1);
      expect(player.state.scores).toEqual(p.scores);
    }
  });

  it('ends a forfeited match as the room did: finished, the other seat wins, the score unchanged', () => {
    const { match, state } = recordMatch(17, RULES, 900, 0);
    expect(match.forfeit).toEqual({ seat: 0, atStep: 900 });
    const player = new ReplayPlayer(match, 0);
    player.update(900 * stepMs + 1);
    expect(player.status).toBe('finished');
    expect(player.state.phase).toBe('finished');
    expect(player.state.winner).toBe(1);
    expect(player.state.scores).toEqual(state.scores);
    expect(stateBits(player.state)).toBe(
      stateBits(replay(match.seed, match.rules, match.log, match.forfeit)),
    );
    // Back in the match, it is a live state again.
    player.seek(899, 0);
    expect(player.state.phase).not.toBe('finished');
  });

  it('refuses a forfeit that does not end the log', () => {
    const { match } = recordMatch(18, RULES, 100);
    expect(() => new ReplayPlayer({ ...match, forfeit: { seat: 1, atStep: 50 } }, 0)).toThrow(/forfeit/);
  });
});
