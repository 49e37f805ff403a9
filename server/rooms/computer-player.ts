import { BALL_SIZE_PX, FIELD_HEIGHT_PX } from '../../shared/constants.ts';
import type { ComputerLevel } from '../../shared/protocol/messages.ts';
import { PADDLE_FACE_X } from '../../shared/sim/step.ts';
import type { Intent, Seat } from '../../shared/sim/types.ts';
import type { GameRoom } from './game-room.ts';
import type { Tickable } from './scheduler.ts';

interface LevelTuning {
  /** The computer sees the field this long ago (human-like reaction time). */
  reactionMs: number;
  /** Random aim error, re-rolled for every approach of the ball. */
  aimErrorPx: number;
  /** Works out where the ball will cross its face (walls included) instead of chasing it. */
  predicts: boolean;
  /** It does not move for smaller differences (no jitter, some slack). */
  deadZonePx: number;
}

export const COMPUTER_LEVELS: Readonly<Record<ComputerLevel, LevelTuning>> = {
  easy: { reactionMs: 300, aimErrorPx: 50, predicts: false, deadZonePx: 16 },
  normal: { reactionMs: 170, aimErrorPx: 24, predicts: true, deadZonePx: 8 },
  hard: { reactionMs: 70, aimErrorPx: 6, predicts: true, deadZonePx: 3 },
};

interface Observation {
  t: number;
  x: number;
  y: number;
  paddle: number;
}

const HALF_BALL = BALL_SIZE_PX / 2;

/**
 * A server-side opponent for practice. It plays through the same path as a person: it watches the
 * room's snapshot (delayed by its reaction time) and sends one intent per tick with a sequence
 * number; it never touches the simulation state.
 */
export class ComputerPlayer implements Tickable {
  readonly memberId: string;
  private readonly tuning: LevelTuning;
  private readonly seen: Observation[] = [];
  private seq = 0;
  private aimOffset = 0;
  private approaching = false;

  constructor(
    private readonly room: GameRoom,
    private readonly seat: Seat,
    readonly level: ComputerLevel,
    private readonly random: () => number = Math.random,
  ) {
    this.memberId = `bot:${room.id}`;
    this.tuning = COMPUTER_LEVELS[level];
  }

  tick(nowMs: number): void {
    if (this.room.isClosed) return;
    const snap = this.room.snapshot();
    if (snap.phase === 'finished') {
      // Always up for another game once the person asks.
      if (this.room.info().rematch[this.seat === 0 ? 1 : 0]) this.room.rematch(this.memberId);
      return;
    }
    this.seen.push({ t: nowMs, x: snap.ball.x, y: snap.ball.y, paddle: snap.paddles[this.seat] });
    while (this.seen.length > 2 && (this.seen[1] as Observation).t <= nowMs - this.tuning.reactionMs) {
      this.seen.shift();
    }
    const [a, b] = this.seen;
    const intent = a && b ? this.decide(a, b, snap.paddles[this.seat]) : 0;
    this.seq += 1;
    this.room.input(this.memberId, this.seq, intent, 1);
  }

  private decide(a: Observation, b: Observation, paddleY: number): Intent {
    const dt = (b.t - a.t) / 1000;
    const vx = dt > 0 ? (b.x - a.x) / dt : 0;
    const vy = dt > 0 ? (b.y - a.y) / dt : 0;
    const towards = this.seat === 0 ? vx < -1 : vx > 1;
    if (towards && !this.approaching) this.aimOffset = (this.random() * 2 - 1) * this.tuning.aimErrorPx;
    this.approaching = towards;
    let target = FIELD_HEIGHT_PX / 2;
    if (towards) {
      target = this.tuning.predicts ? interceptY(b.x, b.y, vx, vy, PADDLE_FACE_X[this.seat]) : b.y;
      target += this.aimOffset;
    }
    const diff = target - paddleY;
    if (Math.abs(diff) <= this.tuning.deadZonePx) return 0;
    return diff > 0 ? 1 : -1;
  }
}

/** Where a ball at (x, y) moving at (vx, vy) crosses the plane x = faceX, bouncing off the walls. */
export function interceptY(x: number, y: number, vx: number, vy: number, faceX: number): number {
  if (vx === 0) return y;
  const t = (faceX - x) / vx;
  if (t < 0) return y;
  const lo = HALF_BALL;
  const span = FIELD_HEIGHT_PX - 2 * HALF_BALL;
  let p = (y + vy * t - lo) % (2 * span);
  if (p < 0) p += 2 * span;
  return lo + (p <= span ? p : 2 * span - p);
}
