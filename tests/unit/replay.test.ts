import { describe, expect, it } from 'vitest';
import { bytesToBase64url, base64urlToBytes } from '../../shared/replay/base64url.ts';
import { InputRecorder, type Forfeit } from '../../shared/replay/input-log.ts';
import { decodeInputLog, encodeInputLog } from '../../shared/replay/log-codec.ts';
import { replay } from '../../shared/replay/replay.ts';
import { countdownTicks, createMatch, step } from '../../shared/sim/step.ts';
import type { Intent, MatchState, Rules, Seat } from '../../shared/sim/types.ts';
import { makeRandom, randomInt } from './support/prng.ts';
import { rulesAt, sloppyPlayer, stateBits, type Driver } from './support/sim.ts';

/** A player who holds a random intent for a random while, and sometimes stalls (sends nothing: 0). */
function holdingPlayer(seed: number): Driver {
  const rand = makeRandom(seed);
  let held: Intent = 0;
  let left = 0;
  return () => {
    if (left <= 0) {
      held = (randomInt(rand, 0, 2) - 1) as Intent;
      left = rand() < 0.1 ? randomInt(rand, 60, 400) : randomInt(rand, 1, 30);
    }
    left -= 1;
    return held;
  };
}

interface Played {
  final: MatchState;
  seed: number;
  rules: Rules;
  bytes: Uint8Array;
  forfeit: Forfeit | null;
  roomTicks: number;
}

/**
 * Plays one match the way GameRoom does (advanceMatch / expireSeats): a dropped seat pauses the
 * match (no step), a reconnection runs a resume countdown (no step), a seat away for the grace
 * period forfeits with the score unchanged. Every step() is recorded with the intents it got.
 */
function playMatch(
  matchSeed: number,
  rules: Rules,
  opts: { dropChance: number; graceTicks: number; player?: (seed: number) => Driver },
): Played {
  const rand = makeRandom(matchSeed ^ 0x5bd1e995);
  const pick = (s: number) => opts.player?.(s) ?? (rand() < 0.5 ? sloppyPlayer(s) : holdingPlayer(s));
  const drivers: [Driver, Driver] = [pick(matchSeed + 1), pick(matchSeed + 2)];
  const seed = (rand() * 0x100000000) >>> 0;
  let state = createMatch(seed, rules);
  const recorder = new InputRecorder();
  const awayFor: [number, number] = [-1, -1];
  const returnsAfter: [number, number] = [0, 0];
  let resumeTicks = 0;
  let forfeit: Forfeit | null = null;
  let roomTicks = 0;
  while (state.phase !== 'finished') {
    roomTicks += 1;
    // expireSeats: a seat away for the grace period forfeits.
    for (const seat of [0, 1] as const) {
      if (awayFor[seat] >= opts.graceTicks) {
        forfeit = { seat, atStep: recorder.steps };
        state = { ...state, phase: 'finished', winner: seat === 0 ? 1 : 0, countdownTicks: 0 };
      }
    }
    if (forfeit) break;
    // Drops and reconnections.
    for (const seat of [0, 1] as const) {
      if (awayFor[seat] < 0 && rand() < opts.dropChance) {
        awayFor[seat] = 0;
        returnsAfter[seat] = rand() < 0.3 ? opts.graceTicks + 1 : randomInt(rand, 1, opts.graceTicks - 1);
      } else if (awayFor[seat] >= 0 && awayFor[seat] >= returnsAfter[seat]) {
        awayFor[seat] = -1;
        if (awayFor[0] < 0 && awayFor[1] < 0) resumeTicks = countdownTicks(rules);
      }
    }
    // advanceMatch: paused or resuming ticks do not step.
    if (awayFor[0] >= 0 || awayFor[1] >= 0) {
      for (const seat of [0, 1] as const) if (awayFor[seat] >= 0) awayFor[seat] += 1;
      recorder.idle();
    } else if (resumeTicks > 0) {
      resumeTicks -= 1;
      recorder.idle();
    } else {
      const left = drivers[0](state, 0);
      const right = drivers[1](state, 1);
      recorder.record(left, right);
      state = step(state, [left, right], rules);
    }
  }
  return { final: state, seed, rules, bytes: encodeInputLog(recorder.log()), forfeit, roomTicks };
}

describe('replay', () => {
  it('200 simulated matches with stalls, pauses, reconnections and forfeits replay to the same final state', () => {
    const rand = makeRandom(2024);
    let forfeits = 0;
    let paused = 0;
    for (let i = 0; i < 200; i += 1) {
      const rules = rulesAt([30, 60, 120][randomInt(rand, 0, 2)] as number, randomInt(rand, 1, 7));
      const played = playMatch(1000 + i, rules, {
        dropChance: rand() < 0.5 ? 0 : 0.002,
        graceTicks: randomInt(rand, 30, 600),
      });
      const log = decodeInputLog(base64urlToBytes(bytesToBase64url(played.bytes)));
      if (played.forfeit) forfeits += 1;
      if (log.idle.length > 0) paused += 1;
      const again = replay(played.seed, played.rules, log, played.forfeit);
      expect(stateBits(again), `match ${i}`).toBe(stateBits(played.final));
      expect(again.scores).toEqual(played.final.scores);
      // The log accounts for every room tick: stepped or idle.
      const idleTicks = log.idle.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0);
      expect(log.steps + idleTicks + (played.forfeit ? 1 : 0)).toBe(played.roomTicks);
    }
    // The sample must exercise what it claims to.
    expect(forfeits).toBeGreaterThan(5);
    expect(paused).toBeGreaterThan(20);
  });

  it('a replay stopped early matches the live state at that step', () => {
    const rules = rulesAt(60, 3);
    const drive = sloppyPlayer(7);
    const recorder = new InputRecorder();
    let state = createMatch(99, rules);
    const states: MatchState[] = [state];
    while (state.phase !== 'finished') {
      const inputs: [Intent, Intent] = [drive(state, 0), drive(state, 1)];
      recorder.record(inputs[0], inputs[1]);
      state = step(state, inputs, rules);
      states.push(state);
    }
    const log = recorder.log();
    for (const at of [0, 1, 250, Math.floor(log.steps / 2), log.steps]) {
      expect(stateBits(replay(99, rules, log, null, at))).toBe(stateBits(states[at] as MatchState));
    }
  });

  it('a forfeit keeps the score and hands the win to the other seat', () => {
    const rules = rulesAt(60, 11);
    const recorder = new InputRecorder();
    let state = createMatch(5, rules);
    for (let i = 0; i < 2000; i += 1) {
      recorder.record(1, -1);
      state = step(state, [1, -1], rules);
    }
    const seat: Seat = 1;
    const end = replay(5, rules, recorder.log(), { seat, atStep: 2000 });
    expect(end.phase).toBe('finished');
    expect(end.winner).toBe(0);
    expect(end.scores).toEqual(state.scores);
    expect(() => replay(5, rules, recorder.log(), { seat, atStep: 10 })).toThrow(/forfeit/);
  });

  it('rejects corrupt logs instead of replaying them wrong', () => {
    const recorder = new InputRecorder();
    for (let i = 0; i < 100; i += 1) recorder.record(i % 7 === 0 ? 1 : 0, -1);
    recorder.idle();
    const bytes = encodeInputLog(recorder.log());
    expect(decodeInputLog(bytes)).toEqual(recorder.log());
    expect(() => decodeInputLog(bytes.subarray(0, bytes.length - 1))).toThrow(/input log/);
    expect(() => decodeInputLog(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/);
    const wrongSteps = bytes.slice();
    wrongSteps[1] = 99;
    expect(() => decodeInputLog(wrongSteps)).toThrow(/runs cover/);
    expect(() => decodeInputLog(Uint8Array.from([2, 0, 0, 0, 0]))).toThrow(/version/);
    expect(() => decodeInputLog(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(
      /too long/,
    );
    expect(() => base64urlToBytes('ab+c')).toThrow(/character/);
  });

  it('stores well under 2 KB per minute of play', () => {
    // 60 Hz, full 11-point matches, no pauses: the figure reported in docs/PERFORMANCE.md.
    // A chaser who re-decides every tick (sloppyPlayer) is the worst case; a holder is closer to a
    // person on a keyboard.
    const rules = rulesAt(60, 11);
    for (const [name, player] of [
      ['chasing', sloppyPlayer],
      ['holding', holdingPlayer],
    ] as const) {
      let bytes = 0;
      let steps = 0;
      for (let i = 0; i < 20; i += 1) {
        const played = playMatch(5000 + i, rules, { dropChance: 0, graceTicks: 600, player });
        bytes += played.bytes.length;
        steps += played.final.tick;
      }
      const perMinute = bytes / (steps / rules.tickHz / 60);
      console.log(
        `replay log, ${name} players: ${perMinute.toFixed(0)} B per minute of play (${bytes} B, ${steps} steps)`,
      );
      expect(perMinute).toBeLessThan(2048);
    }
  });
});
