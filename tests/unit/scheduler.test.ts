import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../server/rooms/clock.ts';
import { Scheduler, type TickStats, type Tickable } from '../../server/rooms/scheduler.ts';

/** A target that records the scheduled time of each tick and the clock when it ran. */
class Recorder implements Tickable {
  readonly scheduled: number[] = [];
  readonly ranAt: number[] = [];
  constructor(
    private readonly clock: ManualClock,
    /** Simulated work: the clock moves this much during each tick. */
    private readonly workMs = 0,
  ) {}
  tick(scheduledMs: number): void {
    this.scheduled.push(scheduledMs);
    this.ranAt.push(this.clock.now());
    this.clock.advance(this.workMs);
  }
}

/** Moves the clock forward in steps of `stepMs`, running due ticks after each step, until `untilMs`. */
function driveTo(clock: ManualClock, scheduler: Scheduler, untilMs: number, stepMs = 1): void {
  while (clock.now() < untilMs) {
    clock.advance(Math.min(stepMs, untilMs - clock.now()));
    scheduler.runDue();
  }
}

describe('Scheduler with a ManualClock', () => {
  it('runs a tick woken up to earlyMs before its time (a timer firing early), with its own time, and no earlier', () => {
    const clock = new ManualClock();
    const stats: TickStats[] = [];
    const scheduler = new Scheduler(clock, { tickHz: 60, onTick: (s) => stats.push(s) });
    const target = new Recorder(clock);
    scheduler.add(target);
    const due = 1000 / 60;
    clock.advance(due - 1.5);
    expect(scheduler.runDue(1)).toBe(0);
    clock.advance(0.7); // 0.8 ms before the tick's time
    expect(scheduler.runDue(0)).toBe(0);
    expect(scheduler.runDue(1)).toBe(1);
    expect(target.scheduled).toEqual([due]);
    // Early is not late: the lateness recorded is 0, never negative.
    expect(stats.map((s) => s.latenessMs)).toEqual([0]);
    // The next tick is a whole period on, not a period after the early run.
    clock.advance(due - 0.5); // 1.3 ms before the second tick
    expect(scheduler.runDue(1)).toBe(0);
    clock.advance(0.5);
    expect(scheduler.runDue(1)).toBe(1);
    expect(target.scheduled[1]).toBeCloseTo(2 * due, 9);
  });

  it('runs 60 ticks when 1 s passes at 60 Hz, each on its fixed schedule', () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: 60 });
    const target = new Recorder(clock);
    scheduler.add(target);
    driveTo(clock, scheduler, 1000);
    expect(target.scheduled).toHaveLength(60);
    expect(scheduler.ticks).toBe(60);
    target.scheduled.forEach((t, i) => expect(t).toBeCloseTo(((i + 1) * 1000) / 60, 6));
    // Each tick ran at the first check at or after its scheduled time.
    target.ranAt.forEach((ran, i) => {
      const late = ran - (target.scheduled[i] as number);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(1);
    });
    expect(scheduler.droppedTicks).toBe(0);
  });

  it('runs nothing before the first period has passed', () => {
    const clock = new ManualClock(5000);
    const scheduler = new Scheduler(clock, { tickHz: 50 });
    const target = new Recorder(clock);
    scheduler.add(target);
    clock.advance(19);
    expect(scheduler.runDue()).toBe(0);
    clock.advance(1);
    expect(scheduler.runDue()).toBe(1);
    expect(target.scheduled).toEqual([5020]);
  });

  it('runs exactly one tick per elapsed period whatever the polling pattern', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(25, 40, 50, 100, 125),
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 200 }),
        (tickHz, steps) => {
          const period = 1000 / tickHz;
          // Steps shorter than the catch-up cap never drop a tick.
          const capped = steps.map((s) => Math.min(s, 4 * period));
          const clock = new ManualClock();
          const scheduler = new Scheduler(clock, { tickHz, maxCatchUpTicks: 5 });
          const target = new Recorder(clock);
          scheduler.add(target);
          let ran = 0;
          for (const s of capped) {
            clock.advance(s);
            ran += scheduler.runDue();
          }
          const elapsed = clock.now();
          expect(ran).toBe(Math.floor(elapsed / period));
          expect(target.scheduled).toEqual(Array.from({ length: ran }, (_, i) => (i + 1) * period));
          expect(scheduler.droppedTicks).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the fixed period however long each tick takes (no drift with work time)', () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: 50 });
    const target = new Recorder(clock, 13);
    scheduler.add(target);
    driveTo(clock, scheduler, 2000);
    // A period of 20 ms + 13 ms of work would give 60 ticks in 2 s with setInterval; we keep 100.
    expect(target.scheduled).toHaveLength(100);
    expect(target.scheduled).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 20));
    expect(scheduler.droppedTicks).toBe(0);
  });

  it('when the work is longer than the period, catches up to the cap, drops the rest and stays on the grid', () => {
    const clock = new ManualClock();
    let ticks = 0;
    const scheduler = new Scheduler(clock, {
      tickHz: 50,
      maxCatchUpTicks: 3,
      // Without a cap this would never return: fail instead of hanging.
      onTick: () => {
        if ((ticks += 1) > 10_000) throw new Error('runaway catch-up');
      },
    });
    const target = new Recorder(clock, 30);
    scheduler.add(target);
    driveTo(clock, scheduler, 3000);
    const due = Math.floor(clock.now() / 20);
    expect(scheduler.droppedTicks).toBeGreaterThan(0);
    // Every due tick was either run or counted as dropped (the last one may still be pending).
    expect(due - (scheduler.ticks + scheduler.droppedTicks)).toBeGreaterThanOrEqual(0);
    expect(due - (scheduler.ticks + scheduler.droppedTicks)).toBeLessThanOrEqual(1);
    for (const t of target.scheduled) expect(t % 20).toBe(0);
    for (let i = 1; i < target.scheduled.length; i += 1) {
      expect(target.scheduled[i]).toBeGreaterThan(target.scheduled[i - 1] as number);
    }
  });

  it('caps catch-up after a long stall: runs maxCatchUpTicks, drops the rest and counts them', () => {
    const clock = new ManualClock();
    const lateness: number[] = [];
    const scheduler = new Scheduler(clock, {
      tickHz: 50,
      onTick: (s) => lateness.push(s.latenessMs),
    });
    const target = new Recorder(clock);
    scheduler.add(target);
    clock.advance(1010); // 50 ticks due (20, 40, ..., 1000)
    expect(scheduler.runDue()).toBe(5);
    expect(scheduler.droppedTicks).toBe(45);
    expect(target.scheduled).toEqual([20, 40, 60, 80, 100]);
    expect(lateness).toEqual([990, 970, 950, 930, 910]);
    // Back on the grid: the next tick is the first one after the stall.
    clock.advance(9);
    expect(scheduler.runDue()).toBe(0);
    clock.advance(1);
    expect(scheduler.runDue()).toBe(1);
    expect(target.scheduled.at(-1)).toBe(1020);
    expect(scheduler.droppedTicks).toBe(45);
  });

  it('reports each tick through onTick: how late it ran and how long it took', () => {
    const clock = new ManualClock();
    const stats: TickStats[] = [];
    const scheduler = new Scheduler(clock, { tickHz: 50, onTick: (s) => stats.push(s) });
    scheduler.add(new Recorder(clock, 2));
    scheduler.add(new Recorder(clock, 1.5));
    clock.advance(23);
    scheduler.runDue();
    expect(stats).toEqual([{ latenessMs: 3, durationMs: 3.5 }]);
    clock.advance(15); // now 41.5, tick at 40
    scheduler.runDue();
    expect(stats[1]?.latenessMs).toBeCloseTo(1.5, 9);
    expect(stats[1]?.durationMs).toBeCloseTo(3.5, 9);
  });

  it('keeps ticking the other targets when one throws, and reports the error', () => {
    const clock = new ManualClock();
    const errors: [unknown, Tickable][] = [];
    const scheduler = new Scheduler(clock, { tickHz: 50, onError: (err, t) => errors.push([err, t]) });
    const before = new Recorder(clock);
    const broken: Tickable = {
      tick() {
        throw new Error('boom');
      },
    };
    const after = new Recorder(clock);
    scheduler.add(before);
    scheduler.add(broken);
    scheduler.add(after);
    driveTo(clock, scheduler, 60, 20);
    expect(before.scheduled).toEqual([20, 40, 60]);
    expect(after.scheduled).toEqual([20, 40, 60]);
    expect(errors).toHaveLength(3);
    expect(errors.every(([err, t]) => err instanceof Error && err.message === 'boom' && t === broken)).toBe(
      true,
    );
    expect(scheduler.ticks).toBe(3);
  });

  it('does not throw out of runDue without an onError handler', () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: 50 });
    const healthy = new Recorder(clock);
    scheduler.add({
      tick() {
        throw new Error('boom');
      },
    });
    scheduler.add(healthy);
    clock.advance(20);
    expect(() => scheduler.runDue()).not.toThrow();
    expect(healthy.scheduled).toEqual([20]);
  });

  it('stops ticking a removed target, even one that removes itself mid-tick', () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: 50 });
    const stays = new Recorder(clock);
    const removed = new Recorder(clock);
    let selfTicks = 0;
    const selfRemoving: Tickable = {
      tick() {
        selfTicks += 1;
        if (selfTicks === 3) scheduler.remove(selfRemoving);
      },
    };
    scheduler.add(removed);
    scheduler.add(selfRemoving);
    scheduler.add(stays);
    expect(scheduler.size).toBe(3);
    driveTo(clock, scheduler, 40, 20);
    scheduler.remove(removed);
    expect(scheduler.size).toBe(2);
    driveTo(clock, scheduler, 100, 20);
    expect(removed.scheduled).toEqual([20, 40]);
    expect(selfTicks).toBe(3);
    expect(stays.scheduled).toEqual([20, 40, 60, 80, 100]);
    expect(scheduler.size).toBe(1);
  });
});

describe('Scheduler.start/stop', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drives runDue from one timer and leaves no timer behind after stop()', () => {
    vi.useFakeTimers();
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: 50 });
    const target = new Recorder(clock);
    scheduler.add(target);
    scheduler.start();
    scheduler.start();
    expect(scheduler.running).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    for (let ms = 0; ms < 100; ms += 1) {
      clock.advance(1);
      vi.advanceTimersByTime(1);
    }
    expect(target.scheduled).toEqual([20, 40, 60, 80, 100]);
    scheduler.stop();
    expect(scheduler.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    clock.advance(100);
    vi.advanceTimersByTime(100);
    expect(target.scheduled).toHaveLength(5);
  });
});
