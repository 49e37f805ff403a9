import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BALL_MAX_BOUNCE_RAD,
  BALL_MAX_SERVE_RAD,
  BALL_MAX_SPEED_PX_PER_S,
  BALL_SERVE_SPEED_PX_PER_S,
  BALL_SPEEDUP_PER_HIT,
  FIELD_HEIGHT_PX,
  FIELD_WIDTH_PX,
  PADDLE_SPEED_PX_PER_S,
} from '../../shared/constants.ts';
import {
  PADDLE_FACE_X,
  countdownTicks,
  createMatch,
  movePaddle,
  step,
  stepInPlace,
} from '../../shared/sim/step.ts';
import type { Intent, MatchState, Rules, Seat } from '../../shared/sim/types.ts';
import {
  HALF_BALL,
  HALF_PADDLE,
  MID_X,
  MID_Y,
  REACH,
  type Driver,
  deepFreeze,
  playingState,
  rulesAt,
  sloppyPlayer,
  speedOf,
} from './support/sim.ts';

const intentArb = fc.constantFrom<Intent>(-1, 0, 1);
const closeTo = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

// ---------------------------------------------------------------------------------------------
// Random matches: every transition of a whole match is checked against the rules.

type DriverSpec = { kind: 'runs'; runs: [Intent, number][] } | { kind: 'sloppy'; seed: number };

const driverArb: fc.Arbitrary<DriverSpec> = fc.oneof(
  fc
    .array(fc.tuple(intentArb, fc.integer({ min: 1, max: 90 })), { minLength: 1, maxLength: 16 })
    .map((runs) => ({ kind: 'runs' as const, runs })),
  fc.nat().map((seed) => ({ kind: 'sloppy' as const, seed })),
);

function makeDriver(spec: DriverSpec): Driver {
  if (spec.kind === 'sloppy') return sloppyPlayer(spec.seed);
  let run = 0;
  let left = spec.runs[0]?.[1] ?? 1;
  return () => {
    if (left === 0) {
      run = (run + 1) % spec.runs.length;
      left = spec.runs[run]?.[1] ?? 1;
    }
    left -= 1;
    return spec.runs[run]?.[0] ?? 0;
  };
}

class RuleBroken extends Error {}

/** Checks one tick of a match against the rules; throws with both states on a violation. */
function checkTransition(prev: MatchState, next: MatchState, inputs: [Intent, Intent], rules: Rules): void {
  const check = (ok: boolean, rule: string) => {
    if (!ok) {
      throw new RuleBroken(`${rule}\nprev=${JSON.stringify(prev)}\nnext=${JSON.stringify(next)}`);
    }
  };
  if (prev.phase === 'finished') {
    check(next === prev, 'a finished match no longer changes');
    return;
  }
  check(next.tick === prev.tick + 1, 'one tick per step');
  for (const seat of [0, 1] as const) {
    check(
      next.paddles[seat] === movePaddle(prev.paddles[seat], inputs[seat], rules),
      'paddles follow intents',
    );
    check(
      next.paddles[seat] >= HALF_PADDLE && next.paddles[seat] <= FIELD_HEIGHT_PX - HALF_PADDLE,
      'paddle inside the field',
    );
  }
  const b = next.ball;
  check(
    b.x >= HALF_BALL &&
      b.x <= FIELD_WIDTH_PX - HALF_BALL &&
      b.y >= HALF_BALL &&
      b.y <= FIELD_HEIGHT_PX - HALF_BALL,
    'ball inside the field',
  );

  const gained = [next.scores[0] - prev.scores[0], next.scores[1] - prev.scores[1]] as const;
  check(gained[0] >= 0 && gained[1] >= 0 && gained[0] + gained[1] <= 1, 'at most one point per tick');
  if (gained[0] + gained[1] === 1) {
    const scorer: Seat = gained[0] === 1 ? 0 : 1;
    const x1 = prev.ball.x + prev.ball.vx / rules.tickHz;
    check(prev.phase === 'playing', 'points only in play');
    if (scorer === 1)
      check(prev.ball.vx < 0 && x1 - HALF_BALL <= 0, 'right scores only across the left goal line');
    else
      check(
        prev.ball.vx > 0 && x1 + HALF_BALL >= FIELD_WIDTH_PX,
        'left scores only across the right goal line',
      );
    check(
      b.x === MID_X && b.y === MID_Y && b.vx === 0 && b.vy === 0,
      'ball back in the centre after a point',
    );
    check(next.hits === 0, 'rally counter reset');
    if (next.scores[scorer] >= rules.pointsToWin) {
      check(next.scores[scorer] === rules.pointsToWin, 'the match ends exactly at pointsToWin');
      check(next.phase === 'finished' && next.winner === scorer, 'the scorer of the last point wins');
    } else {
      check(next.phase === 'countdown', 'a countdown follows a point');
      check(next.countdownTicks === countdownTicks(rules), 'full countdown before the next serve');
      check(next.serveDir === -prev.serveDir, 'serve direction alternates');
      check(next.winner === null, 'no winner yet');
    }
    return;
  }
  check(next.phase !== 'finished' && next.winner === null, 'only a point ends a match');
  check(next.serveDir === prev.serveDir, 'serve direction changes only on a point');

  if (prev.phase === 'countdown') {
    check(next.countdownTicks === Math.max(0, prev.countdownTicks - 1), 'countdown counts down');
    if (next.phase === 'countdown') {
      check(prev.countdownTicks > 1, 'countdown lasts its full length');
      check(b.x === MID_X && b.y === MID_Y && b.vx === 0 && b.vy === 0, 'ball waits in the centre');
      check(next.rng === prev.rng, 'no randomness drawn outside a serve');
    } else {
      check(next.phase === 'playing' && prev.countdownTicks === 1, 'serve when the countdown reaches 0');
      check(b.x === MID_X && b.y === MID_Y, 'serve from the centre');
      check(closeTo(speedOf(b), BALL_SERVE_SPEED_PX_PER_S), 'serve speed');
      check(Math.abs(Math.atan2(b.vy, Math.abs(b.vx))) <= BALL_MAX_SERVE_RAD + 1e-12, 'serve angle');
      check(Math.sign(b.vx) === prev.serveDir, 'serve goes the way serveDir says');
      check(next.rng !== prev.rng, 'each serve draws from the seeded RNG');
    }
    return;
  }

  check(next.phase === 'playing', 'play goes on without a point');
  check(next.rng === prev.rng, 'no randomness drawn outside a serve');
  const s0 = speedOf(prev.ball);
  const s1 = speedOf(b);
  check(s1 <= BALL_MAX_SPEED_PX_PER_S * (1 + 1e-12), 'speed capped');
  const heading: Seat = prev.ball.vx < 0 ? 0 : 1;
  const dir = heading === 0 ? -1 : 1;
  const face = PADDLE_FACE_X[heading];
  const lead0 = prev.ball.x + dir * HALF_BALL;
  if (next.hits === prev.hits + 1) {
    check(Math.sign(b.vx) === -dir, 'a paddle hit sends the ball back');
    check(b.x === face - dir * HALF_BALL, 'the ball leaves from the face it hit');
    check(Math.abs(b.y - next.paddles[heading]) <= REACH + 1e-9, 'hit within the paddle reach');
    check(closeTo(s1, Math.min(s0 * BALL_SPEEDUP_PER_HIT, BALL_MAX_SPEED_PX_PER_S)), 'speed-up per hit');
    check(Math.atan2(Math.abs(b.vy), Math.abs(b.vx)) <= BALL_MAX_BOUNCE_RAD + 1e-12, 'bounce angle capped');
  } else {
    check(next.hits === prev.hits, 'hits count paddle hits');
    check(b.vx === prev.ball.vx, 'vx changes only on a paddle hit');
    check(b.vy === prev.ball.vy || b.vy === -prev.ball.vy, 'walls only flip vy');
    check(closeTo(s1, s0), 'walls keep the speed');
    const lead1 = b.x + dir * HALF_BALL;
    if (dir * (lead0 - face) <= 0 && dir * (lead1 - face) > 0 && b.vy === prev.ball.vy) {
      // The ball crossed the face plane without a wall bounce: the paddle must have been elsewhere.
      const t = (face - lead0) / (lead1 - lead0);
      const yAt = prev.ball.y + (b.y - prev.ball.y) * t;
      check(Math.abs(yAt - next.paddles[heading]) > REACH - 1e-6, 'the ball went through a paddle');
    }
  }
}

describe('simulation properties over random matches', () => {
  it('keeps every tick within the rules (field, scoring, serve, countdown, speed, finish)', () => {
    const MAX_TICKS = 3000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(20, 30, 60, 120, 240),
        fc.integer({ min: 1, max: 4 }),
        driverArb,
        driverArb,
        (seed, tickHz, pointsToWin, leftSpec, rightSpec) => {
          const rules = rulesAt(tickHz, pointsToWin);
          const left = makeDriver(leftSpec);
          const right = makeDriver(rightSpec);
          let state = createMatch(seed, rules);
          for (let i = 0; i < MAX_TICKS; i += 1) {
            const inputs: [Intent, Intent] = [left(state, 0), right(state, 1)];
            const next = step(state, inputs, rules);
            checkTransition(state, next, inputs, rules);
            if (state.phase === 'finished') break;
            state = next;
          }
          if (state.phase === 'finished') {
            const winner = state.winner as Seat;
            expect(state.scores[winner]).toBe(pointsToWin);
            expect(state.scores[winner === 0 ? 1 : 0]).toBeLessThan(pointsToWin);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stepInPlace advances a state exactly as step returns the next one, bit for bit, to the finish', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(30, 60, 120),
        driverArb,
        driverArb,
        (seed, tickHz, leftSpec, rightSpec) => {
          const rules = rulesAt(tickHz, 3);
          const left = makeDriver(leftSpec);
          const right = makeDriver(rightSpec);
          let pure = createMatch(seed, rules);
          const mutated = createMatch(seed, rules);
          for (let i = 0; i < 4000 && pure.phase !== 'finished'; i += 1) {
            const inputs: [Intent, Intent] = [left(pure, 0), right(pure, 1)];
            // Frozen, so a write by step() to its argument throws (modules run in strict mode).
            pure = step(deepFreeze(pure), inputs, rules);
            stepInPlace(mutated, inputs, rules);
            // Primitives compared with Object.is: -0 and 0 differ, as they would in a replay.
            expect(mutated).toStrictEqual(pure);
          }
          stepInPlace(mutated, [1, 1], rules);
          expect(mutated).toStrictEqual(step(pure, [1, 1], rules));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the rule checker itself rejects a state where the ball leaves the field', () => {
    const rules = rulesAt(60);
    const prev = playingState(rules, { x: MID_X, y: MID_Y, vx: 100, vy: 0 }, [MID_Y, MID_Y]);
    const next = step(prev, [0, 0], rules);
    expect(() => checkTransition(prev, next, [0, 0], rules)).not.toThrow();
    const escaped = { ...next, ball: { ...next.ball, y: -1 } };
    expect(() => checkTransition(prev, escaped, [0, 0], rules)).toThrow(/ball inside the field/);
  });
});

// ---------------------------------------------------------------------------------------------
// A ball aimed at a paddle: any speed up to the cap, any angle, the path crossing the face within
// the paddle's reach.

interface Shot {
  seat: Seat;
  speed: number;
  /** Angle from horizontal, radians. */
  angle: number;
  tickHz: number;
  /** y at which the ball's path crosses the face plane. */
  crossY: number;
  /** Where on the paddle the ball should land, -1..1 of the reach (sign: below the centre > 0). */
  hit: number;
  /** How far before the face the ball starts, as a fraction of the largest allowed lead. */
  lead: number;
}

const shotArb = (hit: fc.Arbitrary<number>, minSpeed = 1): fc.Arbitrary<Shot> =>
  fc.record({
    seat: fc.constantFrom<Seat>(0, 1),
    speed: fc.double({ min: minSpeed, max: BALL_MAX_SPEED_PX_PER_S, noNaN: true }),
    angle: fc.double({ min: (-80 * Math.PI) / 180, max: (80 * Math.PI) / 180, noNaN: true }),
    tickHz: fc.integer({ min: 10, max: 240 }),
    crossY: fc.double({ min: 60, max: FIELD_HEIGHT_PX - 60, noNaN: true }),
    hit,
    lead: fc.double({ min: 0, max: 1, noNaN: true }),
  });

interface Aimed {
  rules: Rules;
  state: MatchState;
  face: number;
  /** +1 when the seat's side of the face is at larger x (the right paddle). */
  dir: 1 | -1;
  /** Offset of the crossing point from the paddle centre, in units of the reach. */
  offset: number;
  maxTicks: number;
}

/** Builds a state whose ball will cross `shot.seat`'s face at `crossY`, the paddle placed at `paddleY`. */
function aim(shot: Shot, paddleY: number): Aimed {
  const rules = rulesAt(shot.tickHz);
  const dir = shot.seat === 0 ? -1 : 1;
  const dt = 1 / shot.tickHz;
  const vx = dir * shot.speed * Math.cos(shot.angle);
  const vy = shot.speed * Math.sin(shot.angle);
  // Start up to 3 ticks before the face, but never more than 50 px away vertically (no wall on the way).
  const ticksAway = shot.lead * Math.min(3, 50 / Math.max(1e-9, Math.abs(vy) * dt));
  const face = PADDLE_FACE_X[shot.seat];
  const ball = {
    x: face - dir * HALF_BALL - vx * dt * ticksAway,
    y: shot.crossY - vy * dt * ticksAway,
    vx,
    vy,
  };
  const paddles: [number, number] = shot.seat === 0 ? [paddleY, MID_Y] : [MID_Y, paddleY];
  return {
    rules,
    state: playingState(rules, ball, paddles),
    face,
    dir,
    offset: (shot.crossY - paddleY) / REACH,
    maxTicks: Math.floor(ticksAway) + 2,
  };
}

/** Steps until the seat's paddle hits the ball, checking the ball never gets behind the face. */
function playShot(a: Aimed): { before: MatchState; after: MatchState } {
  let state = a.state;
  for (let i = 0; i < a.maxTicks; i += 1) {
    const next = step(state, [0, 0], a.rules);
    const lead = next.ball.x + a.dir * HALF_BALL;
    if (a.dir * (lead - a.face) > 0)
      throw new Error(`ball got behind the face: ${JSON.stringify(next.ball)}`);
    if (next.phase !== 'playing' || next.scores[0] + next.scores[1] !== 0) {
      throw new Error(`ball scored through a paddle: ${JSON.stringify(next)}`);
    }
    if (next.hits === 1) return { before: state, after: next };
    state = next;
  }
  throw new Error(`no bounce within ${a.maxTicks} ticks: ${JSON.stringify(state)}`);
}

const onPaddle = fc.double({ min: -0.999, max: 0.999, noNaN: true });
const paddleFor = (shot: Shot) =>
  clamp(shot.crossY - shot.hit * REACH, HALF_PADDLE, FIELD_HEIGHT_PX - HALF_PADDLE);

describe('paddle collisions', () => {
  it('bounces every ball whose path crosses the face within the paddle, at any speed and angle', () => {
    fc.assert(
      fc.property(shotArb(onPaddle), (shot) => {
        const a = aim(shot, paddleFor(shot));
        const { after } = playShot(a);
        expect(Math.sign(after.ball.vx)).toBe(-a.dir);
        expect(after.ball.x).toBe(a.face - a.dir * HALF_BALL);
        // It keeps moving away from the face afterwards.
        const later = step(after, [0, 0], a.rules);
        expect(a.dir * (later.ball.x - after.ball.x)).toBeLessThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('lets a ball that misses the paddle through, and the other seat scores', () => {
    const miss = fc.double({ min: 1.01, max: 3, noNaN: true });
    fc.assert(
      // Slow balls would take minutes of ticks to reach the goal line; the miss is the same at any speed.
      fc.property(shotArb(miss, 200), (shot) => {
        // Put the paddle on the side of the crossing point that has room for it.
        const side = shot.crossY > MID_Y ? 1 : -1;
        const paddleY = shot.crossY - side * shot.hit * REACH;
        const a = aim(shot, paddleY);
        let state = a.state;
        let bounced = false;
        for (let i = 0; i < 2000 && state.phase === 'playing'; i += 1) {
          state = step(state, [0, 0], a.rules);
          if (state.hits > 0) bounced = true;
        }
        expect(bounced).toBe(false);
        const other = shot.seat === 0 ? 1 : 0;
        expect(state.scores[other]).toBe(1);
        expect(state.scores[shot.seat]).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('sets the bounce angle from the hit offset: offset × BALL_MAX_BOUNCE_RAD, towards the hit side', () => {
    fc.assert(
      fc.property(shotArb(onPaddle), (shot) => {
        const a = aim(shot, paddleFor(shot));
        const { after } = playShot(a);
        const angle = Math.atan2(after.ball.vy, Math.abs(after.ball.vx));
        expect(Math.abs(angle - a.offset * BALL_MAX_BOUNCE_RAD)).toBeLessThan(1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('a hit near the tip leaves steeper than a hit at the centre', () => {
    const steepness = (hit: number) => {
      const shot: Shot = { seat: 1, speed: 500, angle: 0.2, tickHz: 60, crossY: MID_Y, hit, lead: 0.5 };
      const { after } = playShot(aim(shot, paddleFor(shot)));
      return Math.abs(after.ball.vy / after.ball.vx);
    };
    const centre = steepness(0);
    const tip = steepness(0.95);
    expect(centre).toBeLessThan(1e-9);
    expect(tip).toBeCloseTo(Math.tan(0.95 * BALL_MAX_BOUNCE_RAD), 9);
    expect(steepness(-0.95)).toBeCloseTo(tip, 9);
    const offsets = [0, 0.2, 0.4, 0.6, 0.8, 0.99];
    const values = offsets.map(steepness);
    for (let i = 1; i < values.length; i += 1) expect(values[i]).toBeGreaterThan(values[i - 1] as number);
  });

  it('speeds the ball up by BALL_SPEEDUP_PER_HIT on each hit, never past BALL_MAX_SPEED_PX_PER_S', () => {
    fc.assert(
      fc.property(shotArb(onPaddle), (shot) => {
        const { before, after } = playShot(aim(shot, paddleFor(shot)));
        const expected = Math.min(speedOf(before.ball) * BALL_SPEEDUP_PER_HIT, BALL_MAX_SPEED_PX_PER_S);
        expect(closeTo(speedOf(after.ball), expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
    const hitAt = (speed: number) => {
      const shot: Shot = { seat: 0, speed, angle: 0.1, tickHz: 60, crossY: MID_Y, hit: 0.3, lead: 0.5 };
      return speedOf(playShot(aim(shot, paddleFor(shot))).after.ball);
    };
    expect(hitAt(BALL_SERVE_SPEED_PX_PER_S)).toBeCloseTo(BALL_SERVE_SPEED_PX_PER_S * BALL_SPEEDUP_PER_HIT, 9);
    expect(hitAt(1050)).toBeCloseTo(BALL_MAX_SPEED_PX_PER_S, 9);
    expect(hitAt(BALL_MAX_SPEED_PX_PER_S)).toBeCloseTo(BALL_MAX_SPEED_PX_PER_S, 9);
  });
});

// ---------------------------------------------------------------------------------------------
// Serves, countdowns and the end of a match.

/**
 * Both paddles parked at the top: every serve (at most 30° from horizontal) passes below them, so
 * each serve scores for the server's side and the points alternate left, right, left...
 */
function parkedMatch(seed: number, rules: Rules) {
  let state = createMatch(seed, rules);
  const serves: { tick: number; dir: number }[] = [];
  const points: { tick: number; scorer: Seat }[] = [];
  while (state.phase !== 'finished' && state.tick < 100_000) {
    const next = step(state, [-1, -1], rules);
    if (state.phase === 'countdown' && next.phase === 'playing') {
      serves.push({ tick: next.tick, dir: Math.sign(next.ball.vx) });
    }
    if (next.scores[0] !== state.scores[0]) points.push({ tick: next.tick, scorer: 0 });
    if (next.scores[1] !== state.scores[1]) points.push({ tick: next.tick, scorer: 1 });
    expect(next.hits).toBe(0);
    state = next;
  }
  return { state, serves, points };
}

describe('serves, countdowns and finishing', () => {
  it.each([
    [1, 60],
    [0xdeadbeef, 60],
    [12345, 30],
    [777, 144],
  ])('seed %i at %i Hz: serves alternate, each after a full countdown', (seed, tickHz) => {
    const rules = rulesAt(tickHz, 4);
    const n = countdownTicks(rules);
    const { state, serves, points } = parkedMatch(seed, rules);
    expect(serves.map((s) => s.dir)).toEqual([1, -1, 1, -1, 1, -1, 1]);
    expect(points.map((p) => p.scorer)).toEqual([0, 1, 0, 1, 0, 1, 0]);
    // The first serve comes after the initial countdown; every other one a full countdown after a point.
    expect(serves[0]?.tick).toBe(n);
    for (let i = 1; i < serves.length; i += 1) {
      expect((serves[i]?.tick ?? 0) - (points[i - 1]?.tick ?? 0)).toBe(n);
    }
    expect(state.phase).toBe('finished');
    expect(state.winner).toBe(0);
    expect(state.scores).toEqual([4, 3]);
  });

  it('countdownTicks converts the countdown to ticks and is never 0', () => {
    expect(countdownTicks(rulesAt(60, 11, 1500))).toBe(90);
    expect(countdownTicks(rulesAt(30, 11, 1500))).toBe(45);
    expect(countdownTicks(rulesAt(60, 11, 0))).toBe(1);
  });

  it.each([0, 1] as const)('the seat that reaches pointsToWin wins (seat %i scores last)', (scorer) => {
    const rules = rulesAt(60, 5);
    const towardsGoal = scorer === 0 ? 1 : -1;
    const x = towardsGoal === 1 ? FIELD_WIDTH_PX - HALF_BALL - 1 : HALF_BALL + 1;
    const ball = { x, y: 20, vx: towardsGoal * 600, vy: 0 };
    const scores: [number, number] = scorer === 0 ? [4, 4] : [4, 4];
    const nearly = playingState(rules, ball, [FIELD_HEIGHT_PX - HALF_PADDLE, FIELD_HEIGHT_PX - HALF_PADDLE], {
      scores,
    });
    const done = step(nearly, [0, 0], rules);
    expect(done.phase).toBe('finished');
    expect(done.winner).toBe(scorer);
    expect(done.scores[scorer]).toBe(5);
    expect(done.scores[scorer === 0 ? 1 : 0]).toBe(4);
    expect(step(done, [1, -1], rules)).toBe(done);

    const notYet = step({ ...nearly, scores: [3, 3] }, [0, 0], rules);
    expect(notYet.phase).toBe('countdown');
    expect(notYet.winner).toBeNull();
  });
});

describe('movePaddle', () => {
  it('moves by PADDLE_SPEED_PX_PER_S per second and clamps to the field', () => {
    fc.assert(
      fc.property(
        fc.double({ min: HALF_PADDLE, max: FIELD_HEIGHT_PX - HALF_PADDLE, noNaN: true }),
        intentArb,
        fc.integer({ min: 10, max: 240 }),
        (y, intent, tickHz) => {
          const rules = rulesAt(tickHz);
          const moved = movePaddle(y, intent, rules);
          const free = y + (intent * PADDLE_SPEED_PX_PER_S) / tickHz;
          expect(moved).toBeGreaterThanOrEqual(HALF_PADDLE);
          expect(moved).toBeLessThanOrEqual(FIELD_HEIGHT_PX - HALF_PADDLE);
          expect(moved).toBe(clamp(free, HALF_PADDLE, FIELD_HEIGHT_PX - HALF_PADDLE));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holding an intent long enough parks the paddle exactly at the edge', () => {
    const rules = rulesAt(60);
    let up = MID_Y;
    let down = MID_Y;
    for (let i = 0; i < 200; i += 1) {
      up = movePaddle(up, -1, rules);
      down = movePaddle(down, 1, rules);
    }
    expect(up).toBe(HALF_PADDLE);
    expect(down).toBe(FIELD_HEIGHT_PX - HALF_PADDLE);
    expect(movePaddle(up, 0, rules)).toBe(up);
  });
});
