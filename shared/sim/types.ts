/** -1 = up (towards y = 0), 0 = still, 1 = down. An intent, never a position. */
export type Intent = -1 | 0 | 1;

/** 0 = left seat, 1 = right seat. */
export type Seat = 0 | 1;

export type SimPhase = 'countdown' | 'playing' | 'finished';

export interface Rules {
  readonly tickHz: number;
  readonly pointsToWin: number;
  readonly countdownMs: number;
}

export interface Ball {
  x: number;
  y: number;
  /** px per second */
  vx: number;
  vy: number;
}

/** The whole match as plain data: copy it, compare it, replay it. */
export interface MatchState {
  tick: number;
  phase: SimPhase;
  /** Ticks left in the current countdown (0 outside countdown). */
  countdownTicks: number;
  ball: Ball;
  /** Paddle centre y, left then right. */
  paddles: [number, number];
  scores: [number, number];
  /** Direction of the next serve: -1 towards the left seat, 1 towards the right. */
  serveDir: -1 | 1;
  /** Seeded RNG state (u32). */
  rng: number;
  /** Paddle hits in the current rally. */
  hits: number;
  winner: Seat | null;
}
