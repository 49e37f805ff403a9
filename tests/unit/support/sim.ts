import {
  BALL_SIZE_PX,
  COUNTDOWN_MS,
  FIELD_HEIGHT_PX,
  FIELD_WIDTH_PX,
  PADDLE_HEIGHT_PX,
} from '../../../shared/constants.ts';
import { createMatch } from '../../../shared/sim/step.ts';
import type { Ball, Intent, MatchState, Rules, Seat } from '../../../shared/sim/types.ts';
import { makeRandom } from './prng.ts';

export const HALF_BALL = BALL_SIZE_PX / 2;
export const HALF_PADDLE = PADDLE_HEIGHT_PX / 2;
/** Distance between paddle centre and ball centre at which the ball still touches the paddle. */
export const REACH = HALF_PADDLE + HALF_BALL;
export const MID_Y = FIELD_HEIGHT_PX / 2;
export const MID_X = FIELD_WIDTH_PX / 2;

export function rulesAt(tickHz: number, pointsToWin = 11, countdownMs = COUNTDOWN_MS): Rules {
  return { tickHz, pointsToWin, countdownMs };
}

/** A match already in play with the given ball and paddles (everything else as a fresh match). */
export function playingState(
  rules: Rules,
  ball: Ball,
  paddles: [number, number],
  extra: Partial<MatchState> = {},
): MatchState {
  return { ...createMatch(1, rules), phase: 'playing', countdownTicks: 0, ball, paddles, ...extra };
}

/**
 * Serializes a state with every number written as its IEEE-754 bit pattern, so two states compare
 * equal only when they are bit-identical (JSON would equate 0 and -0).
 */
export function stateBits(state: MatchState): string {
  const view = new DataView(new ArrayBuffer(8));
  const bits = (n: number) => {
    view.setFloat64(0, n);
    return view.getBigUint64(0).toString(16);
  };
  const encode = (v: unknown): string => {
    if (typeof v === 'number') return bits(v);
    if (Array.isArray(v)) return `[${v.map(encode).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      return `{${Object.keys(v)
        .sort()
        .map((k) => `${k}:${encode((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v);
  };
  return encode(state);
}

/**
 * Freezes a state and everything it holds, so a write to it throws (modules run in strict mode):
 * how the tests check that step() leaves its argument alone, cheaper than a clone and a compare.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export type Driver = (state: MatchState, seat: Seat) => Intent;

/**
 * A sloppy human: mostly chases the ball, sometimes holds a random intent for a while. Seeded, so
 * the same seed drives the same inputs from the same states.
 */
export function sloppyPlayer(seed: number): Driver {
  const rand = makeRandom(seed);
  let held: Intent = 0;
  let holdTicks = 0;
  return (state, seat) => {
    if (holdTicks > 0) {
      holdTicks -= 1;
      return held;
    }
    if (rand() < 0.03) {
      held = ((Math.floor(rand() * 3) as 0 | 1 | 2) - 1) as Intent;
      holdTicks = Math.floor(rand() * 40);
      return held;
    }
    const gap = state.ball.y - state.paddles[seat];
    const deadband = 4 + rand() * 20;
    return gap > deadband ? 1 : gap < -deadband ? -1 : 0;
  };
}

export function speedOf(ball: Ball): number {
  return Math.hypot(ball.vx, ball.vy);
}
