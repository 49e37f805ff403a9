import { describe, expect, it } from 'vitest';
import { ClockSync, MAX_SAMPLES, SLEW_MS_PER_MS } from '../../client/src/net/clock-sync.ts';

/** The server's clock runs this far ahead of the client's in these tests. */
const TRUE_OFFSET_MS = 50_000;

/**
 * One ping exchange sent at local `sentAtMs`: `upMs` to reach the server, `downMs` to come back.
 * The estimate it gives is off by half the asymmetry of the two legs.
 */
function exchange(c: ClockSync, sentAtMs: number, upMs: number, downMs: number): void {
  c.addSample(sentAtMs, sentAtMs + upMs + TRUE_OFFSET_MS, sentAtMs + upMs + downMs);
}

describe('ClockSync: choosing a sample', () => {
  it('takes the offset from the sample with the smallest round trip, not the latest', () => {
    const c = new ClockSync();
    exchange(c, 0, 20, 20); // rtt 40, symmetric: exact
    exchange(c, 1000, 10, 190); // rtt 200, queued on the way back: 90 ms off
    exchange(c, 2000, 150, 30); // rtt 180: 60 ms off the other way
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS);
    expect(c.minRttMs).toBe(40);
    expect(c.lastRttMs).toBe(180);
  });

  it('a later sample with a smaller round trip replaces the estimate', () => {
    const c = new ClockSync();
    exchange(c, 0, 10, 90); // rtt 100: 40 ms off
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS - 40);
    exchange(c, 1000, 15, 15); // rtt 30: exact
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS);
  });

  it(`forgets a sample after ${MAX_SAMPLES} newer ones (a changed route is picked up)`, () => {
    const c = new ClockSync();
    exchange(c, 0, 5, 5); // the best round trip ever seen, exact
    for (let i = 1; i < MAX_SAMPLES; i += 1) exchange(c, i * 1000, 10, 90);
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS);
    exchange(c, MAX_SAMPLES * 1000, 10, 90);
    expect(c.minRttMs).toBe(100);
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS - 40);
  });

  it('a seed stands in until the first exchange, which then replaces it', () => {
    const c = new ClockSync();
    expect(c.serverNow(123)).toBe(123);
    c.seed(TRUE_OFFSET_MS + 900, 1000); // a snapshot that took an unknown time to arrive
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS - 100);
    c.seed(0, 2000); // a later seed never overrides the first estimate
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS - 100);
    exchange(c, 1000, 20, 20);
    expect(c.offsetMs).toBe(TRUE_OFFSET_MS);
    // One exchange is still a rough estimate: serverNow follows it directly.
    expect(c.serverNow(1100)).toBe(1100 + TRUE_OFFSET_MS);
  });
});

describe('ClockSync: slewing', () => {
  /** A clock past its first two exchanges (so it slews), applying the exact offset at local time 1000. */
  function synced(): ClockSync {
    const c = new ClockSync();
    exchange(c, 0, 50, 50); // rtt 100, exact
    expect(c.serverNow(100)).toBe(100 + TRUE_OFFSET_MS);
    exchange(c, 500, 50, 50);
    expect(c.serverNow(1000)).toBe(1000 + TRUE_OFFSET_MS);
    return c;
  }

  for (const shiftMs of [100, -100]) {
    it(`moves the applied offset by at most ${SLEW_MS_PER_MS} ms per ms towards a new estimate ${shiftMs} ms away`, () => {
      const c = synced();
      // A sample with a smaller round trip and an offset shiftMs away (the route changed).
      c.addSample(1000, 1010 + TRUE_OFFSET_MS + shiftMs, 1020);
      expect(c.offsetMs).toBe(TRUE_OFFSET_MS + shiftMs);

      let prevLocal = 1000;
      let prevServer = 1000 + TRUE_OFFSET_MS;
      let local = 1000;
      // Frames of uneven length, as a browser gives them.
      for (let i = 0; i < 400; i += 1) {
        local += i % 3 === 0 ? 4 : 16.7;
        const server = c.serverNow(local);
        const dt = local - prevLocal;
        const step = server - prevServer - dt;
        // Never stepped: the offset moves by at most the slew per ms of local time, in its direction...
        expect(Math.abs(step)).toBeLessThanOrEqual(dt * SLEW_MS_PER_MS + 1e-9);
        expect(step * Math.sign(shiftMs)).toBeGreaterThanOrEqual(-1e-9);
        // ...so the estimated server clock never runs backwards, even when the offset shrinks.
        expect(server).toBeGreaterThan(prevServer);
        prevLocal = local;
        prevServer = server;
      }
      // It got there: |shift| / SLEW ms of local time (2 s) is well within the 400 frames above.
      expect(c.serverNow(local)).toBeCloseTo(local + TRUE_OFFSET_MS + shiftMs, 9);
    });
  }

  it('a late call catches up by no more than the slew allows for the time that passed', () => {
    const c = synced();
    c.addSample(1000, 1010 + TRUE_OFFSET_MS + 500, 1020);
    expect(c.serverNow(1200)).toBeCloseTo(1200 + TRUE_OFFSET_MS + 200 * SLEW_MS_PER_MS, 9);
  });
});
