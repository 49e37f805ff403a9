import type { Snapshot } from '../../shared/codec/snapshot.ts';
import { FIELD_HEIGHT_PX, PADDLE_HEIGHT_PX, PADDLE_SPEED_PX_PER_S } from '../../shared/constants.ts';
import type { Intent } from '../../shared/sim/types.ts';

/** A drawn ball that moves this much farther in one frame than the true ball did is a visible jump. */
export const JUMP_THRESHOLD_PX = 8;
/** Frames this close (in render time) to a point being scored are not compared: the ball teleports. */
export const RESET_MARGIN_MS = 50;
/** A frame gap longer than this means the bench process itself stalled (not the link). */
export const BENCH_STALL_MS = 50;
/** Jumps this soon after a bench stall are reported apart: the measuring apparatus hiccuped. */
export const BENCH_STALL_SHADOW_MS = 1000;
/**
 * Own-paddle moves below this are not moves: every snapshot re-bases the prediction on the
 * server's u16-quantized paddle (≤ 0.005 px off), the same tolerance PaddlePredictor uses before it
 * counts a correction.
 */
const STILL_PX = 0.01;
/** An intent change not shown within this many frames is counted at this value. */
const MAX_INPUT_DELAY_FRAMES = 30;

/** What the measured client drew in one 60 Hz frame, and the state of its net code at that frame. */
export interface FrameRecord {
  nowMs: number;
  /** The server time the client rendered the ball and opponent at: serverNow estimate − delay. */
  renderMs: number;
  ball: { x: number; y: number };
  /** The own paddle as drawn (the prediction). */
  ownY: number;
  /** Signed sum of the reconciliation corrections applied to the own paddle since the last frame. */
  correctedPx: number;
  intent: Intent;
  /** Prediction ticks run in this frame. */
  ticks: number;
  /** The render time was at or past the newest snapshot: the view was held, not interpolated. */
  held: boolean;
  delayMs: number;
  /** Estimated server clock minus the true one (0 offset: server and client share one clock). */
  clockErrorMs: number;
}

/**
 * The authoritative stream: every snapshot the unproxied observer got, with server times, used to
 * answer "where was the ball at server time T" by interpolating between the two around T.
 */
export class AuthorityTrack {
  private readonly snaps: Snapshot[] = [];
  /** Server-time windows around each point scored: [last snapshot before, first after]. */
  private readonly resets: [number, number][] = [];

  add(s: Snapshot): void {
    const last = this.snaps[this.snaps.length - 1];
    if (last && s.serverTimeMs <= last.serverTimeMs) return; // the join's full snapshot, repeated
    if (last && last.scores[0] + last.scores[1] !== s.scores[0] + s.scores[1]) {
      this.resets.push([last.serverTimeMs - RESET_MARGIN_MS, s.serverTimeMs + RESET_MARGIN_MS]);
    }
    this.snaps.push(s);
  }

  get size(): number {
    return this.snaps.length;
  }

  get last(): Snapshot | undefined {
    return this.snaps[this.snaps.length - 1];
  }

  /**
   * The ball at server time `t`, or null when `t` is outside the stream, when either snapshot
   * around it is not in play, or when a point is scored within RESET_MARGIN_MS of it.
   */
  ballAt(t: number): { x: number; y: number } | null {
    const s = this.snaps;
    const first = s[0];
    const last = s[s.length - 1];
    if (!first || !last || t < first.serverTimeMs || t > last.serverTimeMs) return null;
    if (this.resets.some(([from, to]) => t >= from && t <= to)) return null;
    let lo = 0;
    let hi = s.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((s[mid] as Snapshot).serverTimeMs <= t) lo = mid;
      else hi = mid;
    }
    const a = s[lo] as Snapshot;
    const b = s[hi] as Snapshot;
    if (a.phase !== 'playing' || b.phase !== 'playing') return null;
    const k =
      b.serverTimeMs === a.serverTimeMs ? 0 : (t - a.serverTimeMs) / (b.serverTimeMs - a.serverTimeMs);
    return { x: a.ball.x + (b.ball.x - a.ball.x) * k, y: a.ball.y + (b.ball.y - a.ball.y) * k };
  }
}

export interface Distribution {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { n: 0, mean: 0, p50: 0, p95: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return {
    n: sorted.length,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    max: sorted[sorted.length - 1] as number,
  };
}

export interface InputDelayResult {
  /** Intent changes measured. */
  changes: number;
  /** Changes that could not show (the paddle was against a wall in the new direction). */
  skipped: number;
  frames: Distribution;
  /** Changes shown at the change frame itself. */
  atZero: number;
  /** Of the late ones: how many fell on a frame where prediction ran no tick. */
  lateOnZeroTickFrame: number;
}

const HALF_PADDLE = PADDLE_HEIGHT_PX / 2;
const STEP_PX = PADDLE_SPEED_PX_PER_S / 60;

/** Whether `intent` can move a paddle at `y` (not pressed against the wall it points at). */
function canMove(y: number, intent: Intent): boolean {
  if (intent < 0) return y > HALF_PADDLE + 0.01;
  if (intent > 0) return y < FIELD_HEIGHT_PX - HALF_PADDLE - 0.01;
  return true;
}

/**
 * Own-paddle input-to-display delay: for each frame f where the intent differs from frame f−1's,
 * the first frame g ≥ f at which the drawn paddle's move since the previous frame matches the new
 * intent (up, down, or still), minus f. 0 means the frame that read the key already shows it.
 * Reconciliation corrections are taken out of the move (they are counted on their own).
 */
export function inputDelays(frames: readonly FrameRecord[]): InputDelayResult {
  const delays: number[] = [];
  let skipped = 0;
  let lateOnZeroTickFrame = 0;
  for (let f = 1; f < frames.length; f += 1) {
    const prev = frames[f - 1] as FrameRecord;
    const cur = frames[f] as FrameRecord;
    if (cur.intent === prev.intent) continue;
    // A stop is only visible if the paddle was moving; a move only if the wall allows it.
    const visible =
      cur.intent === 0
        ? canMove(prev.ownY + prev.intent * STEP_PX, prev.intent)
        : canMove(prev.ownY, cur.intent);
    if (!visible) {
      skipped += 1;
      continue;
    }
    let delay = MAX_INPUT_DELAY_FRAMES;
    for (let g = f; g < frames.length && g - f < MAX_INPUT_DELAY_FRAMES; g += 1) {
      const fg = frames[g] as FrameRecord;
      const dy = fg.ownY - (frames[g - 1] as FrameRecord).ownY - fg.correctedPx;
      const shows = cur.intent === 0 ? Math.abs(dy) < STILL_PX : cur.intent * dy > STILL_PX;
      if (shows) {
        delay = g - f;
        break;
      }
    }
    if (f + MAX_INPUT_DELAY_FRAMES > frames.length && delay === MAX_INPUT_DELAY_FRAMES) continue; // run ended
    if (delay > 0 && cur.ticks === 0) lateOnZeroTickFrame += 1;
    delays.push(delay);
  }
  return {
    changes: delays.length,
    skipped,
    frames: distribution(delays),
    atZero: delays.filter((d) => d === 0).length,
    lateOnZeroTickFrame,
  };
}

export interface BallResult {
  /** Frames compared (render time in play, away from a point being scored). */
  frames: number;
  rmsErrorPx: number;
  maxErrorPx: number;
  /** Frames drawn with a held view (render time past the newest snapshot). */
  heldFrames: number;
  jumps: number;
  /** Of those, the ones within BENCH_STALL_SHADOW_MS after the bench process stalled. */
  jumpsAfterBenchStall: number;
  /** Jumps per minute, leaving out those after a bench stall. */
  jumpsPerMinute: number;
  /** Largest excess of the drawn ball's one-frame move over the true ball's, px. */
  maxExcessPx: number;
  /** Times (frame nowMs, relative to the first frame) and sizes of the jumps, for diagnosis. */
  jumpLog: {
    atMs: number;
    excessPx: number;
    /** The frame before was drawn from a held view (render time past the newest snapshot). */
    afterHeld: boolean;
    renderStepMs: number;
    sinceBenchStallMs: number | null;
  }[];
}

/**
 * Interpolation error and visible jumps of the ball, against the observer's authoritative stream.
 *
 * Error: distance between the ball drawn at frame f and the authoritative ball at the same server
 * time (the frame's render time).
 *
 * Jump: a frame whose drawn ball moved more than JUMP_THRESHOLD_PX farther than the authoritative
 * ball moved over one real frame interval ending at the frame's render time:
 *   |drawn_f − drawn_f−1| − |auth(T_f) − auth(T_f − (now_f − now_f−1))| > 8 px.
 * The reference uses the real frame interval, not T_f − T_f−1, so a render clock that leaps (after a
 * stall, or a clock-offset step) counts as a jump even though each drawn position is "right". A ball
 * at 1100 px/s legitimately moves ~18 px per frame; that is not a jump. A held (frozen) frame is
 * not a jump either; the catch-up frame after it is. Jumps within BENCH_STALL_SHADOW_MS after the
 * bench process itself stalled (a frame gap over BENCH_STALL_MS) are counted apart and left out of
 * jumpsPerMinute: everything here shares one event loop, so such a stall delays the link too.
 */
export function ballQuality(frames: readonly FrameRecord[], track: AuthorityTrack): BallResult {
  let sumSq = 0;
  let n = 0;
  let maxErrorPx = 0;
  let heldFrames = 0;
  let jumps = 0;
  let jumpsAfterBenchStall = 0;
  let lastBenchStallMs: number | null = null;
  let maxExcessPx = 0;
  const jumpLog: BallResult['jumpLog'] = [];
  const t0 = frames[0]?.nowMs ?? 0;
  for (let f = 0; f < frames.length; f += 1) {
    const cur = frames[f] as FrameRecord;
    const before = frames[f - 1];
    if (before && cur.nowMs - before.nowMs > BENCH_STALL_MS) lastBenchStallMs = cur.nowMs;
    const auth = track.ballAt(cur.renderMs);
    if (!auth) continue;
    const err = Math.hypot(cur.ball.x - auth.x, cur.ball.y - auth.y);
    sumSq += err * err;
    n += 1;
    maxErrorPx = Math.max(maxErrorPx, err);
    if (cur.held) heldFrames += 1;
    const prev = frames[f - 1];
    if (!prev || !track.ballAt(prev.renderMs)) continue;
    const authBefore = track.ballAt(cur.renderMs - (cur.nowMs - prev.nowMs));
    if (!authBefore) continue;
    const drawnMove = Math.hypot(cur.ball.x - prev.ball.x, cur.ball.y - prev.ball.y);
    const trueMove = Math.hypot(auth.x - authBefore.x, auth.y - authBefore.y);
    const excess = drawnMove - trueMove;
    maxExcessPx = Math.max(maxExcessPx, excess);
    if (excess > JUMP_THRESHOLD_PX) {
      jumps += 1;
      const sinceBenchStallMs = lastBenchStallMs === null ? null : Math.round(cur.nowMs - lastBenchStallMs);
      if (sinceBenchStallMs !== null && sinceBenchStallMs <= BENCH_STALL_SHADOW_MS) jumpsAfterBenchStall += 1;
      jumpLog.push({
        atMs: Math.round(cur.nowMs - t0),
        excessPx: round(excess, 1),
        afterHeld: prev.held,
        renderStepMs: round(cur.renderMs - prev.renderMs, 1),
        sinceBenchStallMs,
      });
    }
  }
  const minutes = frames.length > 1 ? ((frames.at(-1) as FrameRecord).nowMs - t0) / 60_000 : 0;
  return {
    frames: n,
    rmsErrorPx: n > 0 ? Math.sqrt(sumSq / n) : 0,
    maxErrorPx,
    heldFrames,
    jumps,
    jumpsAfterBenchStall,
    jumpsPerMinute: minutes > 0 ? (jumps - jumpsAfterBenchStall) / minutes : 0,
    maxExcessPx,
    jumpLog,
  };
}

export function round(x: number, digits = 2): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
