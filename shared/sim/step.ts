import {
  BALL_MAX_BOUNCE_RAD,
  BALL_MAX_SERVE_RAD,
  BALL_MAX_SPEED_PX_PER_S,
  BALL_SERVE_SPEED_PX_PER_S,
  BALL_SIZE_PX,
  BALL_SPEEDUP_PER_HIT,
  FIELD_HEIGHT_PX,
  FIELD_WIDTH_PX,
  PADDLE_HEIGHT_PX,
  PADDLE_INSET_PX,
  PADDLE_SPEED_PX_PER_S,
  PADDLE_WIDTH_PX,
} from '../constants.ts';
import { nextRandom } from './rng.ts';
import type { Ball, Intent, MatchState, Rules, Seat } from './types.ts';

const HALF_BALL = BALL_SIZE_PX / 2;
const HALF_PADDLE = PADDLE_HEIGHT_PX / 2;
/** x of each paddle's inner face: the plane the ball must cross to get past it. */
export const PADDLE_FACE_X: readonly [number, number] = [
  PADDLE_INSET_PX + PADDLE_WIDTH_PX,
  FIELD_WIDTH_PX - PADDLE_INSET_PX - PADDLE_WIDTH_PX,
];

export function countdownTicks(rules: Rules): number {
  return Math.max(1, Math.round((rules.countdownMs * rules.tickHz) / 1000));
}

/** A fresh match: paddles centred, ball waiting in a countdown before the first serve. */
export function createMatch(seed: number, rules: Rules): MatchState {
  return {
    tick: 0,
    phase: 'countdown',
    countdownTicks: countdownTicks(rules),
    ball: centredBall(),
    paddles: [FIELD_HEIGHT_PX / 2, FIELD_HEIGHT_PX / 2],
    scores: [0, 0],
    serveDir: 1,
    rng: seed >>> 0,
    hits: 0,
    winner: null,
  };
}

function centredBall(): Ball {
  return { x: FIELD_WIDTH_PX / 2, y: FIELD_HEIGHT_PX / 2, vx: 0, vy: 0 };
}

/** One paddle's move for one tick: shared so the client predicts with exactly the server's rule. */
export function movePaddle(y: number, intent: Intent, rules: Rules): number {
  const next = y + (intent * PADDLE_SPEED_PX_PER_S) / rules.tickHz;
  return Math.min(FIELD_HEIGHT_PX - HALF_PADDLE, Math.max(HALF_PADDLE, next));
}

/**
 * Advance the match by one fixed tick. Pure: returns a new state and never reads a clock or
 * Math.random, so the same seed and inputs give bit-identical states on every machine.
 */
export function step(state: MatchState, inputs: readonly [Intent, Intent], rules: Rules): MatchState {
  if (state.phase === 'finished') return state;
  const next: MatchState = {
    ...state,
    ball: { ...state.ball },
    paddles: [state.paddles[0], state.paddles[1]],
    scores: [state.scores[0], state.scores[1]],
  };
  advance(next, inputs, rules);
  return next;
}

/**
 * step() for an owner that keeps no earlier state (the server's room, 60 times a second per room):
 * advances `state` itself, with the same arithmetic in the same order, so both give bit-identical
 * states (tests/unit/sim-properties.test.ts). It saves the four objects step() makes per tick.
 */
export function stepInPlace(state: MatchState, inputs: readonly [Intent, Intent], rules: Rules): void {
  if (state.phase === 'finished') return;
  advance(state, inputs, rules);
}

function advance(s: MatchState, inputs: readonly [Intent, Intent], rules: Rules): void {
  s.tick += 1;
  s.paddles[0] = movePaddle(s.paddles[0], inputs[0], rules);
  s.paddles[1] = movePaddle(s.paddles[1], inputs[1], rules);
  if (s.phase === 'countdown') {
    s.countdownTicks -= 1;
    if (s.countdownTicks <= 0) serve(s);
    return;
  }
  moveBall(s, rules);
}

function serve(s: MatchState): void {
  const r = nextRandom(s.rng);
  s.rng = r.state;
  const angle = (r.value * 2 - 1) * BALL_MAX_SERVE_RAD;
  s.ball = {
    x: FIELD_WIDTH_PX / 2,
    y: FIELD_HEIGHT_PX / 2,
    vx: s.serveDir * BALL_SERVE_SPEED_PX_PER_S * Math.cos(angle),
    vy: BALL_SERVE_SPEED_PX_PER_S * Math.sin(angle),
  };
  s.phase = 'playing';
  s.countdownTicks = 0;
  s.hits = 0;
}

function moveBall(s: MatchState, rules: Rules): void {
  const b = s.ball;
  const dt = 1 / rules.tickHz;
  const x0 = b.x;
  const y0 = b.y;
  let x1 = x0 + b.vx * dt;
  let y1 = y0 + b.vy * dt;

  // Swept test against the face plane the ball is heading for: a fast ball cannot tunnel through.
  const seat: Seat = b.vx < 0 ? 0 : 1;
  const dir = seat === 0 ? -1 : 1;
  const face = PADDLE_FACE_X[seat];
  const lead0 = x0 + dir * HALF_BALL;
  const lead1 = x1 + dir * HALF_BALL;
  if (b.vx !== 0 && dir * (lead0 - face) <= 0 && dir * (lead1 - face) > 0) {
    const t = (face - lead0) / (lead1 - lead0);
    const yAt = reflectIntoField(y0 + (y1 - y0) * t);
    const offset = (yAt - s.paddles[seat]) / (HALF_PADDLE + HALF_BALL);
    if (Math.abs(offset) <= 1) {
      bounceOffPaddle(s, seat, offset);
      b.x = face - dir * HALF_BALL;
      b.y = yAt;
      return;
    }
  }

  // Top and bottom walls reflect.
  if (y1 < HALF_BALL || y1 > FIELD_HEIGHT_PX - HALF_BALL) {
    y1 = reflectIntoField(y1);
    b.vy = -b.vy;
  }
  // Past the goal line: a point for the other seat.
  if (x1 - HALF_BALL <= 0 || x1 + HALF_BALL >= FIELD_WIDTH_PX) {
    scorePoint(s, x1 - HALF_BALL <= 0 ? 1 : 0, rules);
    return;
  }
  x1 = Math.min(FIELD_WIDTH_PX - HALF_BALL, Math.max(HALF_BALL, x1));
  b.x = x1;
  b.y = y1;
}

function reflectIntoField(y: number): number {
  const lo = HALF_BALL;
  const hi = FIELD_HEIGHT_PX - HALF_BALL;
  if (y < lo) return Math.min(hi, 2 * lo - y);
  if (y > hi) return Math.max(lo, 2 * hi - y);
  return y;
}

function bounceOffPaddle(s: MatchState, seat: Seat, offset: number): void {
  const b = s.ball;
  const speed = Math.min(Math.hypot(b.vx, b.vy) * BALL_SPEEDUP_PER_HIT, BALL_MAX_SPEED_PX_PER_S);
  const angle = offset * BALL_MAX_BOUNCE_RAD;
  const away = seat === 0 ? 1 : -1;
  b.vx = away * speed * Math.cos(angle);
  b.vy = speed * Math.sin(angle);
  s.hits += 1;
}

function scorePoint(s: MatchState, scorer: Seat, rules: Rules): void {
  s.scores[scorer] += 1;
  s.ball = centredBall();
  s.hits = 0;
  if (s.scores[scorer] >= rules.pointsToWin) {
    s.phase = 'finished';
    s.winner = scorer;
    s.countdownTicks = 0;
    return;
  }
  s.serveDir = s.serveDir === 1 ? -1 : 1;
  s.phase = 'countdown';
  s.countdownTicks = countdownTicks(rules);
}
