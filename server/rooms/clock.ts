import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds. Injected everywhere time matters so tests advance it by hand. */
export interface Clock {
  now(): number;
}

export const monotonicClock: Clock = { now: () => performance.now() };

/** A clock that only moves when a test says so. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
