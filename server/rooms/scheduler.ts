import type { Clock } from './clock.ts';

export interface Tickable {
  /** Called once per fixed tick with the tick's scheduled time (not the wall time it ran at). */
  tick(scheduledMs: number): void;
}

export interface TickStats {
  /** How late the tick ran compared to its scheduled time. */
  latenessMs: number;
  /** How long stepping every room took. */
  durationMs: number;
}

export interface SchedulerOptions {
  tickHz: number;
  /** Ticks run back-to-back at most after a stall; older ones are dropped, not replayed. */
  maxCatchUpTicks?: number;
  onTick?: (stats: TickStats) => void;
  onError?: (err: unknown, target: Tickable) => void;
}

/** How early a timer may run the tick it was armed for (libuv's timer granularity). */
const TIMER_EARLY_MS = 1;

/**
 * One fixed-step loop for every room in the process: an accumulator on a monotonic clock, so the
 * period never drifts with the work done (unlike one setInterval per room), with capped catch-up.
 */
export class Scheduler {
  private readonly targets = new Set<Tickable>();
  private readonly periodMs: number;
  private readonly maxCatchUp: number;
  /** Ticks are due at originMs + k * periodMs: computed, never summed, so rounding cannot drift. */
  private originMs: number;
  private nextIndex = 1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Ticks dropped because the process stalled longer than the catch-up cap. */
  droppedTicks = 0;
  ticks = 0;

  constructor(
    private readonly clock: Clock,
    private readonly opts: SchedulerOptions,
  ) {
    this.periodMs = 1000 / opts.tickHz;
    this.maxCatchUp = opts.maxCatchUpTicks ?? 5;
    this.originMs = clock.now();
  }

  private get nextMs(): number {
    // (k * 1000) / hz is exact for whole-ms schedules (tick 60 at 60 Hz is 1000 ms, not 1000.0000000000001).
    return this.originMs + (this.nextIndex * 1000) / this.opts.tickHz;
  }

  get size(): number {
    return this.targets.size;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  add(target: Tickable): void {
    this.targets.add(target);
  }

  remove(target: Tickable): void {
    this.targets.delete(target);
  }

  /**
   * Runs every tick that is due now, or within `earlyMs` of being due. Tests call this after
   * advancing a ManualClock.
   */
  runDue(earlyMs = 0): number {
    let ran = 0;
    let now = this.clock.now();
    while (now >= this.nextMs - earlyMs && ran < this.maxCatchUp) {
      const scheduled = this.nextMs;
      for (const target of this.targets) {
        try {
          target.tick(scheduled);
        } catch (err) {
          // One broken room must not stall the others.
          this.opts.onError?.(err, target);
        }
      }
      const after = this.clock.now();
      this.opts.onTick?.({ latenessMs: Math.max(0, now - scheduled), durationMs: after - now });
      this.nextIndex += 1;
      this.ticks += 1;
      ran += 1;
      now = after;
    }
    if (now >= this.nextMs) {
      const behind = Math.floor((now - this.nextMs) / this.periodMs) + 1;
      this.droppedTicks += behind;
      this.nextIndex += behind;
    }
    return ran;
  }

  /** Drives runDue() with one timer for the whole process. */
  start(): void {
    if (this.timer) return;
    this.originMs = this.clock.now();
    this.nextIndex = 1;
    const loop = () => {
      // libuv counts timers in whole milliseconds from the loop's cached time, so a timer armed for
      // the next tick often fires up to a millisecond before it: running that tick then, rather than
      // arming a 1 ms timer for it, halves the loop's wake-ups (a tick's time is its scheduled one).
      this.runDue(TIMER_EARLY_MS);
      this.timer = setTimeout(loop, Math.max(0, this.nextMs - this.clock.now()));
    };
    this.timer = setTimeout(loop, this.periodMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
