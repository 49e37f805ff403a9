import { describe, expect, it } from 'vitest';
import { createMatch, step } from '../../shared/sim/step.ts';
import type { Intent, MatchState, Rules } from '../../shared/sim/types.ts';
import { deepFreeze, rulesAt, sloppyPlayer, stateBits } from './support/sim.ts';

const TICKS = 10_000;
// Enough points to win that the match is still running after 10,000 ticks.
const RULES: Rules = rulesAt(60, 1000);

interface Run {
  states: string[];
  raw: MatchState[];
  inputs: [Intent, Intent][];
}

/** Plays TICKS ticks from `seed`, either driven by seeded players or replaying an input log. */
function play(seed: number, source: { playerSeed: number } | { log: readonly [Intent, Intent][] }): Run {
  let state = createMatch(seed, RULES);
  const states = [stateBits(state)];
  const raw = [state];
  const inputs: [Intent, Intent][] = [];
  const left = 'playerSeed' in source ? sloppyPlayer(source.playerSeed) : null;
  const right = 'playerSeed' in source ? sloppyPlayer(source.playerSeed + 1) : null;
  for (let i = 0; i < TICKS; i += 1) {
    let input: [Intent, Intent];
    if ('log' in source) {
      const logged = source.log[i];
      if (logged === undefined) throw new Error(`input log ends at tick ${i}`);
      input = logged;
    } else {
      input = [left?.(state, 0) ?? 0, right?.(state, 1) ?? 0];
    }
    inputs.push(input);
    state = step(state, input, RULES);
    states.push(stateBits(state));
    raw.push(state);
  }
  return { states, raw, inputs };
}

function firstDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return i;
  return -1;
}

describe('simulation determinism', () => {
  const original = play(0xc0ffee, { playerSeed: 42 });

  it('plays a real match in the reference run (rallies, wall and paddle bounces, points)', () => {
    const { raw } = original;
    const last = raw[raw.length - 1] as MatchState;
    expect(last.phase).not.toBe('finished');
    expect(last.tick).toBe(TICKS);
    expect(last.scores[0] + last.scores[1]).toBeGreaterThan(5);
    expect(Math.max(...raw.map((s) => s.hits))).toBeGreaterThanOrEqual(3);
    const wallBounces = raw.filter((s, i) => {
      const prev = raw[i - 1];
      return prev !== undefined && s.hits === prev.hits && s.ball.vy === -prev.ball.vy && s.ball.vy !== 0;
    });
    expect(wallBounces.length).toBeGreaterThan(0);
    const distinctIntents = new Set(original.inputs.map(([l, r]) => `${l},${r}`));
    expect(distinctIntents.size).toBe(9);
  });

  it('gives bit-identical states at every one of 10,000 ticks for the same seed and inputs', () => {
    const again = play(0xc0ffee, { playerSeed: 42 });
    expect(again.inputs).toEqual(original.inputs);
    expect(firstDifference(original.states, again.states)).toBe(-1);
    expect(again.states).toHaveLength(TICKS + 1);
  });

  it('replays bit-for-bit from the seed and the recorded input log alone', () => {
    const replay = play(0xc0ffee, { log: original.inputs });
    expect(firstDifference(original.states, replay.states)).toBe(-1);
  });

  it('gives a different trajectory for a different seed with the same inputs', () => {
    const other = play(0xc0ffef, { log: original.inputs });
    const ballOf = (s: string) => /ball:\{[^}]*\}/.exec(s)?.[0];
    const diverges = original.states.findIndex((s, i) => ballOf(s) !== ballOf(other.states[i] ?? ''));
    // Identical until the first serve (the seed only draws serve angles), different from it on.
    expect(diverges).toBeGreaterThan(0);
    expect(diverges).toBe(Math.round((RULES.countdownMs * RULES.tickHz) / 1000));
  });

  it('never mutates the state it is given (step is pure)', () => {
    const driver = sloppyPlayer(7);
    let state = createMatch(99, RULES);
    for (let i = 0; i < 2000; i += 1) {
      const frozen = deepFreeze(state);
      const before = stateBits(frozen);
      state = step(frozen, [driver(frozen, 0), driver(frozen, 1)], RULES);
      expect(stateBits(frozen)).toBe(before);
    }
    expect(state.tick).toBe(2000);
  });
});
