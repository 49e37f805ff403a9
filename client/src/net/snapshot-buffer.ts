import { FIELD_WIDTH_PX } from '../../../shared/constants.ts';
import type { Snapshot } from '../../../shared/codec/snapshot.ts';

/** Snapshots kept: about two seconds at 30 Hz, far more than any sane interpolation delay. */
const MAX_BUFFERED = 64;
const TRANSIT_WINDOW = 90;
/** A ball move longer than this between two snapshots is a reset (a point), never a slide. */
const TELEPORT_PX = FIELD_WIDTH_PX / 3;
/** How fast the delay follows its target: per millisecond of render time, as a fraction. */
const DELAY_EASE_PER_MS = 0.002;
/**
 * Arrivals this far apart are an outage, not jitter. The snapshots sent during it arrive in a burst
 * when the link comes back; counting their transits would set the delay near the outage's length
 * for seconds after it.
 */
const OUTAGE_GAP_MS = 500;

export interface InterpolatedView {
  ball: { x: number; y: number };
  paddles: [number, number];
  /** The newer snapshot of the pair (scores, phase, timers come from it). */
  latest: Snapshot;
  /** True when render time ran past the newest snapshot (the view is held, not extrapolated). */
  starved: boolean;
}

/**
 * Buffers snapshots and interpolates between the two that bracket a render time. The delay
 * adapts to measured jitter: it starts at two snapshot intervals and settles on the spread of
 * observed transit times plus one interval, eased so the render clock never jumps.
 */
export class SnapshotBuffer {
  private readonly snaps: Snapshot[] = [];
  private readonly transits: number[] = [];
  private delay: number;
  private targetDelay: number;
  private lastRenderMs: number | null = null;
  private lastArrivalMs: number | null = null;
  /** Snapshots stamped before this server time are an outage's backlog. */
  private backlogBeforeMs = -Infinity;
  starvedFrames = 0;

  constructor(private readonly intervalMs: number) {
    this.delay = 2 * intervalMs;
    this.targetDelay = this.delay;
  }

  get delayMs(): number {
    return this.delay;
  }

  get newest(): Snapshot | undefined {
    return this.snaps[this.snaps.length - 1];
  }

  /** `serverNowMs` is the client's estimate of the server clock when the snapshot arrived. */
  push(snap: Snapshot, serverNowMs: number): void {
    const newest = this.newest;
    if (newest && snap.serverTimeMs <= newest.serverTimeMs) {
      // A full snapshot re-sent on (re)join carries a time we already have; keep the latest state.
      if (snap.serverTimeMs === newest.serverTimeMs) this.snaps[this.snaps.length - 1] = snap;
      return;
    }
    this.snaps.push(snap);
    if (this.snaps.length > MAX_BUFFERED) this.snaps.shift();
    if (this.lastArrivalMs !== null && serverNowMs - this.lastArrivalMs >= OUTAGE_GAP_MS) {
      this.backlogBeforeMs = serverNowMs - Math.min(...this.transits);
    }
    this.lastArrivalMs = serverNowMs;
    if (snap.serverTimeMs < this.backlogBeforeMs) return;
    this.transits.push(serverNowMs - snap.serverTimeMs);
    if (this.transits.length > TRANSIT_WINDOW) this.transits.shift();
    this.targetDelay = this.computeTargetDelay();
  }

  clear(): void {
    this.snaps.length = 0;
    this.transits.length = 0;
    this.lastRenderMs = null;
    this.lastArrivalMs = null;
    this.backlogBeforeMs = -Infinity;
  }

  private computeTargetDelay(): number {
    if (this.transits.length < 10) return this.delay;
    const sorted = [...this.transits].sort((a, b) => a - b);
    const p98 = sorted[Math.floor((sorted.length - 1) * 0.98)] as number;
    // Render far enough back that the snapshot after the render time has almost always arrived.
    return Math.max(this.intervalMs, p98 + this.intervalMs + 5);
  }

  /** The view at `serverNowMs - delay`. */
  sample(serverNowMs: number): InterpolatedView | null {
    const newest = this.newest;
    if (!newest) return null;
    if (this.lastRenderMs !== null) {
      const dt = Math.max(0, Math.min(100, serverNowMs - this.delay - this.lastRenderMs));
      const k = Math.min(1, dt * DELAY_EASE_PER_MS);
      this.delay += (this.targetDelay - this.delay) * k;
    }
    let renderMs = serverNowMs - this.delay;
    // The render clock never runs backwards, even when the delay grows.
    if (this.lastRenderMs !== null && renderMs < this.lastRenderMs) renderMs = this.lastRenderMs;
    this.lastRenderMs = renderMs;

    const oldest = this.snaps[0] as Snapshot;
    if (renderMs >= newest.serverTimeMs) {
      this.starvedFrames += renderMs > newest.serverTimeMs + this.intervalMs ? 1 : 0;
      return view(newest, newest, 0, renderMs > newest.serverTimeMs + this.intervalMs);
    }
    if (renderMs <= oldest.serverTimeMs) return view(oldest, oldest, 0, false);
    let i = this.snaps.length - 1;
    while (i > 0 && (this.snaps[i - 1] as Snapshot).serverTimeMs > renderMs) i -= 1;
    const a = this.snaps[i - 1] as Snapshot;
    const b = this.snaps[i] as Snapshot;
    const t = (renderMs - a.serverTimeMs) / (b.serverTimeMs - a.serverTimeMs);
    // Drop snapshots no render time will need again.
    if (i - 1 > 0) this.snaps.splice(0, i - 1);
    return view(a, b, t, false);
  }
}

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

function view(a: Snapshot, b: Snapshot, t: number, starved: boolean): InterpolatedView {
  const jump =
    Math.abs(b.ball.x - a.ball.x) > TELEPORT_PX || a.scores[0] !== b.scores[0] || a.scores[1] !== b.scores[1];
  const bt = jump ? (t < 1 ? 0 : 1) : t;
  return {
    ball: { x: lerp(a.ball.x, b.ball.x, bt), y: lerp(a.ball.y, b.ball.y, bt) },
    paddles: [lerp(a.paddles[0], b.paddles[0], t), lerp(a.paddles[1], b.paddles[1], t)],
    latest: b,
    starved,
  };
}
