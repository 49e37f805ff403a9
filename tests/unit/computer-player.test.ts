import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../server/config.ts';
import { InMemoryRoomDirectory } from '../../server/lobby/room-directory.ts';
import { ManualClock } from '../../server/rooms/clock.ts';
import { ComputerPlayer, interceptY } from '../../server/rooms/computer-player.ts';
import type { GameRoom } from '../../server/rooms/game-room.ts';
import { RoomManager } from '../../server/rooms/room-manager.ts';
import { Scheduler } from '../../server/rooms/scheduler.ts';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import {
  BALL_MAX_BOUNCE_RAD,
  BALL_SERVE_SPEED_PX_PER_S,
  COUNTDOWN_MS,
  DEFAULT_TICK_HZ,
  FIELD_HEIGHT_PX,
  FIELD_WIDTH_PX,
} from '../../shared/constants.ts';
import type { ComputerLevel } from '../../shared/protocol/messages.ts';
import { PADDLE_FACE_X, movePaddle, step } from '../../shared/sim/step.ts';
import type { Intent, Rules, Seat } from '../../shared/sim/types.ts';
import { makeRandom } from './support/prng.ts';
import { RecordingTransport } from './support/recording-transport.ts';
import { RoomHarness } from './support/room-harness.ts';
import { HALF_BALL, MID_X, REACH, playingState } from './support/sim.ts';

/** The production tick rate and countdown; matches are short. */
const rulesTo = (pointsToWin: number): Rules => ({
  tickHz: DEFAULT_TICK_HZ,
  pointsToWin,
  countdownMs: COUNTDOWN_MS,
});
/** Fixed seeds: each drives both the room's serves and the computer's aim error. */
const SEEDS = [11, 22, 33, 44, 55, 66];
const MAX_TICKS = DEFAULT_TICK_HZ * 60 * 30;

type Policy = (s: Snapshot, seat: Seat) => Intent;
/** A human who never touches the keyboard. */
const idle: Policy = () => 0;
/** A plain, decent human: follows the ball's height with a little slack. */
const chaser: Policy = (s, seat) => {
  const gap = s.ball.y - s.paddles[seat];
  return gap > 10 ? 1 : gap < -10 ? -1 : 0;
};

/** What happened each time the ball came at the computer's paddle. */
interface Arrival {
  returned: boolean;
  ballY: number;
  paddleY: number;
}

/**
 * A practice room as the scheduler runs it, on a ManualClock: each tick the human's intent goes
 * in, the room steps, then the computer looks and answers with its own intent for the next tick.
 */
class Practice {
  readonly h: RoomHarness;
  readonly computer: ComputerPlayer;
  readonly humanSeat: Seat;
  readonly arrivals: Arrival[] = [];
  private humanSeq = 0;
  private prev: Snapshot;
  /** Horizontal direction of the ball on the previous tick (0 while it is not in play). */
  private dir = 0;

  constructor(
    level: ComputerLevel,
    seed: number,
    private readonly policy: Policy,
    pointsToWin: number,
    readonly seat: Seat = 1,
    room?: (h: RoomHarness) => GameRoom,
  ) {
    this.h = new RoomHarness({
      kind: 'practice',
      rules: rulesTo(pointsToWin),
      snapshotHz: 30,
      newSeed: () => seed,
      joinDeadlineMs: 1e9,
      finishedTtlMs: 1e9,
    });
    this.humanSeat = seat === 0 ? 1 : 0;
    this.computer = new ComputerPlayer(room ? room(this.h) : this.h.room, seat, level, makeRandom(seed));
    if (seat === 0) this.h.room.joinBot(this.computer.memberId, 'Computer', this.computer);
    this.h.room.join('human', { nickname: 'Ann' });
    if (seat === 1) this.h.room.joinBot(this.computer.memberId, 'Computer', this.computer);
    this.prev = this.h.room.snapshot();
  }

  get snapshot(): Snapshot {
    return this.prev;
  }

  tick(): void {
    this.humanSeq += 1;
    this.h.room.input('human', this.humanSeq, this.policy(this.prev, this.humanSeat), 1);
    // The room steps its computer player at the start of its own tick.
    this.h.tick();
    this.observe(this.h.room.snapshot());
  }

  /** Ticks until `done`, or fails after `maxTicks`. */
  playUntil(done: () => boolean, maxTicks = MAX_TICKS): void {
    for (let n = 0; n < maxTicks && !done(); n += 1) this.tick();
    expect(done(), `not reached in ${maxTicks} ticks (phase ${this.h.room.phase})`).toBe(true);
  }

  playMatch(): void {
    this.playUntil(() => this.h.room.phase === 'finished');
  }

  /** Balls that reached the computer's side and came back, over all that reached it. */
  get returnRate(): number {
    return this.arrivals.filter((a) => a.returned).length / this.arrivals.length;
  }

  private observe(s: Snapshot): void {
    const prev = this.prev;
    this.prev = s;
    const towardsComputer = this.seat === 1 ? 1 : -1;
    if (s.scores[this.humanSeat] > prev.scores[this.humanSeat]) {
      this.arrivals.push({ returned: false, ballY: prev.ball.y, paddleY: prev.paddles[this.seat] });
    }
    if (s.phase !== 'playing' || prev.phase !== 'playing' || s.scores.join() !== prev.scores.join()) {
      this.dir = 0;
      return;
    }
    const dir = Math.sign(s.ball.x - prev.ball.x);
    const onComputerSide = (s.ball.x - MID_X) * towardsComputer > 0;
    if (this.dir === towardsComputer && dir === -towardsComputer && onComputerSide) {
      this.arrivals.push({ returned: true, ballY: s.ball.y, paddleY: s.paddles[this.seat] });
    }
    this.dir = dir;
  }
}

describe('ComputerPlayer input path', () => {
  it('only reads the room and sends intents through room.input, one per tick, seq counting up', () => {
    const used = new Set<string>();
    const inputs: unknown[][] = [];
    // The computer sees the room through a proxy that records every member it touches.
    const spy = (room: GameRoom): GameRoom =>
      new Proxy(room, {
        get(target, prop) {
          const value: unknown = Reflect.get(target, prop, target);
          used.add(String(prop));
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (prop === 'input') inputs.push(args);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    const p = new Practice('hard', 1, chaser, 2, 1, (h) => spy(h.room));
    const rules = p.h.options.rules;
    let moves = 0;
    const wrong: string[] = [];
    for (let n = 0; n < MAX_TICKS && p.h.room.phase !== 'finished'; n += 1) {
      const before = p.snapshot;
      p.tick();
      // The room steps the computer first, so the intent it sends in a tick is applied in that
      // same tick: its paddle moves by that intent and nothing else, and the ack is its own seq.
      const intent = (inputs.at(-1)?.[2] ?? 0) as Intent;
      const sent = inputs.length;
      if (p.snapshot.acks[1] !== sent) wrong.push(`tick ${n}: ack ${p.snapshot.acks[1]}, sent ${sent}`);
      if (before.phase === 'playing' || before.phase === 'countdown') {
        const expected = movePaddle(before.paddles[1], intent, rules);
        if (p.snapshot.paddles[1] !== expected)
          wrong.push(`tick ${n}: paddle ${p.snapshot.paddles[1]} ≠ ${expected}`);
        if (p.snapshot.paddles[1] !== before.paddles[1]) moves += 1;
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(p.h.room.phase).toBe('finished');
    expect(moves).toBeGreaterThan(100);

    // It reads the room and sends inputs; it never reaches for anything else.
    const allowed = new Set(['id', 'info', 'input', 'isClosed', 'snapshot']);
    expect([...used].filter((m) => !allowed.has(m))).toEqual([]);
    expect(used.has('input') && used.has('snapshot')).toBe(true);
    expect(inputs.length).toBeGreaterThan(1_000);
    const odd = inputs.filter(
      ([memberId, seq, intent, ticks], i) =>
        memberId !== p.computer.memberId ||
        seq !== i + 1 ||
        ![-1, 0, 1].includes(intent as number) ||
        ticks !== 1,
    );
    expect(odd.slice(0, 5)).toEqual([]);
    // It actually steers, both ways.
    const intents = new Set(inputs.map((args) => args[2]));
    expect(intents).toEqual(new Set([-1, 0, 1]));
  });

  it('goes along with a rematch once the person has asked for one', () => {
    const p = new Practice('hard', 2, idle, 1);
    p.playMatch();
    expect(p.h.room.info().winner).toBe('right');
    p.tick();
    expect(p.h.room.info().rematch).toEqual([false, false]);
    expect(p.h.room.rematch('human')).toBeNull();
    expect(p.h.room.info().rematch).toEqual([true, false]);
    p.tick();
    expect(p.h.room.phase).toBe('countdown');
    expect(p.h.room.info().rematch).toEqual([false, false]);
    expect(p.h.room.snapshot().scores).toEqual([0, 0]);
  });

  it('sends nothing once the room is closed', () => {
    const p = new Practice('hard', 3, idle, 3);
    p.playUntil(() => p.h.room.phase === 'playing');
    p.h.room.close('test');
    const before = p.h.room.snapshot().acks;
    const input = p.h.room.input.bind(p.h.room);
    let calls = 0;
    p.h.room.input = (...args) => {
      calls += 1;
      return input(...args);
    };
    p.computer.tick(p.h.clock.now() + 20);
    expect(calls).toBe(0);
    expect(p.h.room.snapshot().acks).toEqual(before);
  });
});

describe('ComputerPlayer play', () => {
  it.each([1, 0] as const)('on hard (seat %i) returns every ball of an idle human and wins', (seat) => {
    for (const seed of SEEDS.slice(0, 3)) {
      const p = new Practice('hard', seed, idle, 5, seat);
      p.playMatch();
      const winner = p.h.room.info().winner;
      expect(winner, `seed ${seed}`).toBe(seat === 1 ? 'right' : 'left');
      expect(p.h.room.snapshot().scores[seat]).toBe(5);
      expect(p.arrivals.length).toBeGreaterThanOrEqual(3);
      expect(p.returnRate, `seed ${seed}`).toBe(1);
    }
  });

  it('tracks the ball: its paddle is where each ball arrives, at every height', () => {
    const p = new Practice('hard', 4, chaser, 3);
    p.playMatch();
    const returned = p.arrivals.filter((a) => a.returned);
    expect(returned.length).toBeGreaterThan(20);
    for (const a of returned) expect(Math.abs(a.ballY - a.paddleY)).toBeLessThanOrEqual(REACH);
    // Not a paddle parked in the middle: it met balls far apart.
    const ys = returned.map((a) => a.paddleY);
    expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(FIELD_HEIGHT_PX / 2);
  });

  it('easy returns measurably fewer balls than hard, over the same seeded matches', () => {
    /** Plays seeded 3-point matches against the same human until 60 balls have come at it. */
    const rate = (level: ComputerLevel) => {
      let returned = 0;
      let arrived = 0;
      for (let seed = 1; arrived < 60; seed += 1) {
        const p = new Practice(level, seed, chaser, 3);
        p.playMatch();
        returned += p.arrivals.filter((a) => a.returned).length;
        arrived += p.arrivals.length;
      }
      return returned / arrived;
    };
    const hard = rate('hard');
    const normal = rate('normal');
    const easy = rate('easy');
    expect(hard).toBeGreaterThanOrEqual(0.97);
    expect(normal).toBeGreaterThanOrEqual(0.9);
    expect(easy).toBeLessThanOrEqual(0.8);
    expect(hard - easy).toBeGreaterThanOrEqual(0.25);
  });

  it('is beatable on easy and hard to beat on hard, by the same plain human', () => {
    for (const seed of SEEDS.slice(0, 3)) {
      const easy = new Practice('easy', seed, chaser, 3);
      easy.playMatch();
      expect(easy.h.room.info().winner, `easy, seed ${seed}`).toBe('left');
      const hard = new Practice('hard', seed, chaser, 3);
      hard.playMatch();
      expect(hard.h.room.info().winner, `hard, seed ${seed}`).toBe('right');
    }
  });
});

describe('ComputerPlayer through the RoomManager', () => {
  function practiceRoom(level: ComputerLevel, overrides: Partial<Config> = {}) {
    const config: Config = { ...DEFAULT_CONFIG, pointsToWin: 3, ...overrides };
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: config.tickHz });
    const rooms = new RoomManager({
      config,
      clock,
      scheduler,
      directory: new InMemoryRoomDirectory(),
      transportFor: () => new RecordingTransport(),
    });
    const room = rooms.create('practice');
    room.join('human', { nickname: 'Ann' });
    const computer = rooms.addComputer(room, level);
    let seq = 0;
    const runUntil = (done: () => boolean, maxTicks = MAX_TICKS) => {
      for (let n = 0; n < maxTicks && !done(); n += 1) {
        // An idle human's client still sends its (idle) intent every tick, as a live link does.
        if (room.roleOf('human')) room.input('human', (seq += 1), 0, 1);
        clock.advance(1000 / config.tickHz);
        scheduler.runDue();
      }
      expect(done()).toBe(true);
    };
    return { rooms, scheduler, room, computer, runUntil };
  }

  it('takes the free seat on the production defaults, beats an idle human, and leaves with the room', () => {
    const { scheduler, room, computer, runUntil } = practiceRoom('hard');
    expect(computer.level).toBe('hard');
    expect(room.info().players).toEqual([
      { nickname: 'Ann', connected: true },
      { nickname: 'Computer (hard)', connected: true },
    ]);
    expect(room.roleOf(computer.memberId)).toBe('right');
    // The room steps its computer player itself: one scheduler target for both.
    expect(scheduler.size).toBe(1);
    runUntil(() => room.phase === 'finished');
    expect(room.info().winner).toBe('right');
    expect(room.snapshot().scores[1]).toBe(3);
    room.close('test');
    expect(scheduler.size).toBe(0);
  });

  it('does not keep a room alive on its own: the human leaves, forfeits after the grace, the room closes', () => {
    const { rooms, scheduler, room, runUntil } = practiceRoom('easy', { reconnectGraceMs: 500 });
    runUntil(() => room.phase === 'playing');
    room.leave('human');
    expect(room.phase).toBe('paused');
    runUntil(() => room.isClosed, 120);
    expect(rooms.size).toBe(0);
    expect(scheduler.size).toBe(0);
  });
});

describe('interceptY', () => {
  const LO = HALF_BALL;
  const HI = FIELD_HEIGHT_PX - HALF_BALL;
  const RIGHT_FACE = PADDLE_FACE_X[1];
  const LEFT_FACE = PADDLE_FACE_X[0];

  /** Unfolds the path one wall at a time: an independent way to the same answer. */
  function reflectByHand(x: number, y: number, vx: number, vy: number, faceX: number): number {
    let yy = y + (vy * (faceX - x)) / vx;
    while (yy < LO || yy > HI) yy = yy < LO ? 2 * LO - yy : 2 * HI - yy;
    return yy;
  }

  it('is the straight-line crossing when no wall is in the way', () => {
    expect(interceptY(400, 300, 380, 0, RIGHT_FACE)).toBe(300);
    expect(interceptY(400, 300, 100, 50, 700)).toBeCloseTo(450, 9);
    expect(interceptY(400, 300, -100, -50, 100)).toBeCloseTo(150, 9);
  });

  it('reflects off the top wall, the bottom wall, and both', () => {
    // Up from y=300 over 376 px at 45°: 376 px up is 81 px past the top (y=5), so back down to 86.
    expect(interceptY(400, 300, 100, -100, 776)).toBeCloseTo(86, 9);
    // The same downwards, mirrored about the middle.
    expect(interceptY(400, 300, 100, 100, 776)).toBeCloseTo(FIELD_HEIGHT_PX - 86, 9);
    // Towards the left face, 364 px across at 3 px down per px across: 1092 px down from y=100 is
    // 495 px to the bottom (595), 590 px back up to the top (5), then 7 px down again.
    expect(interceptY(400, 100, -100, 300, 36)).toBeCloseTo(12, 9);
  });

  it('keeps the ball where it is when it is not heading for the face', () => {
    expect(interceptY(400, 300, 0, 200, RIGHT_FACE)).toBe(300);
    expect(interceptY(400, 250, -300, 100, RIGHT_FACE)).toBe(250);
    expect(interceptY(400, 250, 300, 100, LEFT_FACE)).toBe(250);
  });

  it('agrees with unfolding the walls by hand, and always lands inside the field', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 60, max: 740, noNaN: true }),
        fc.double({ min: LO, max: HI, noNaN: true }),
        fc.double({ min: 50, max: 1100, noNaN: true }),
        fc.double({ min: -3000, max: 3000, noNaN: true }),
        fc.constantFrom<Seat>(0, 1),
        (x, y, speed, vy, seat) => {
          const vx = seat === 1 ? speed : -speed;
          const face = PADDLE_FACE_X[seat];
          const got = interceptY(x, y, vx, vy, face);
          expect(got).toBeGreaterThanOrEqual(LO - 1e-9);
          expect(got).toBeLessThanOrEqual(HI + 1e-9);
          expect(Math.abs(got - reflectByHand(x, y, vx, vy, face))).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a paddle parked at the predicted height returns the ball in the real simulation', () => {
    const rules = rulesTo(11);
    fc.assert(
      fc.property(
        fc.double({ min: 300, max: 500, noNaN: true }),
        fc.double({ min: LO, max: HI, noNaN: true }),
        fc.double({ min: -BALL_MAX_BOUNCE_RAD, max: BALL_MAX_BOUNCE_RAD, noNaN: true }),
        fc.double({ min: BALL_SERVE_SPEED_PX_PER_S, max: 900, noNaN: true }),
        (x, y, angle, speed) => {
          const ball = { x, y, vx: speed * Math.cos(angle), vy: speed * Math.sin(angle) };
          const target = interceptY(ball.x, ball.y, ball.vx, ball.vy, RIGHT_FACE);
          // The sim clamps the paddle into the field on its first step, still within reach of the ball.
          let s = playingState(rules, ball, [FIELD_HEIGHT_PX / 2, target]);
          for (let n = 0; n < 10 * rules.tickHz && s.hits === 0 && s.scores[0] === 0; n += 1) {
            s = step(s, [0, 0], rules);
          }
          expect(s.scores[0], `missed at ${s.ball.y}, predicted ${target}`).toBe(0);
          expect(s.hits).toBe(1);
          // The ball met the paddle within a few px of the prediction (the sim tests the ball's
          // leading edge, the prediction its centre).
          expect(Math.abs(s.ball.y - target)).toBeLessThan(10);
          expect(s.ball.x).toBeLessThan(FIELD_WIDTH_PX);
        },
      ),
      { numRuns: 300 },
    );
  });
});
