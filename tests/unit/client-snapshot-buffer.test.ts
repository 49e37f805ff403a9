import { describe, expect, it } from 'vitest';
import { SnapshotBuffer } from '../../client/src/net/snapshot-buffer.ts';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import { DEFAULT_SNAPSHOT_HZ } from '../../shared/constants.ts';

const INTERVAL_MS = 1000 / DEFAULT_SNAPSHOT_HZ;
const FRAME_MS = 1000 / 60;
/** The delay a fresh buffer renders behind the server (two snapshot intervals). */
const START_DELAY_MS = 2 * INTERVAL_MS;

function snap(
  serverTimeMs: number,
  ballX: number,
  over: { scores?: [number, number]; paddles?: [number, number]; ballY?: number } = {},
): Snapshot {
  return {
    serverTimeMs,
    phase: 'playing',
    ball: { x: ballX, y: over.ballY ?? 300 },
    paddles: over.paddles ?? [300, 300],
    scores: over.scores ?? [0, 0],
    acks: [0, 0],
    timerTenths: 0,
  };
}

/** Samples the buffer at render time `renderMs` (with the delay it has before any easing). */
const sampleAt = (b: SnapshotBuffer, renderMs: number) => b.sample(renderMs + START_DELAY_MS);

describe('SnapshotBuffer: interpolation', () => {
  it('interpolates the ball and paddles between the two snapshots around the render time', () => {
    const b = new SnapshotBuffer(INTERVAL_MS);
    b.push(snap(1000, 100, { paddles: [200, 400], ballY: 100 }), 1010);
    b.push(snap(1000 + INTERVAL_MS, 120, { paddles: [220, 380], ballY: 140 }), 1010 + INTERVAL_MS);
    const v = sampleAt(b, 1000 + INTERVAL_MS / 4);
    expect(v?.ball.x).toBeCloseTo(105, 9);
    expect(v?.ball.y).toBeCloseTo(110, 9);
    expect(v?.paddles[0]).toBeCloseTo(205, 9);
    expect(v?.paddles[1]).toBeCloseTo(395, 9);
    expect(v?.starved).toBe(false);
  });

  it('has nothing to show before the first snapshot', () => {
    expect(new SnapshotBuffer(INTERVAL_MS).sample(5000)).toBeNull();
  });
});

describe('SnapshotBuffer: points', () => {
  it('snaps the ball when the score changes, even when it moved only a little', () => {
    const b = new SnapshotBuffer(INTERVAL_MS);
    // The point is scored and the ball re-served near where it was: a slide would look like play.
    b.push(snap(1000, 420, { paddles: [300, 300] }), 1010);
    b.push(snap(1000 + INTERVAL_MS, 400, { scores: [1, 0], paddles: [310, 290] }), 1010 + INTERVAL_MS);
    const mid = sampleAt(b, 1000 + INTERVAL_MS / 2);
    // The ball stays at the old position until the new snapshot's time, then is at the new one...
    expect(mid?.ball.x).toBe(420);
    // ...while the paddles still glide.
    expect(mid?.paddles[0]).toBeCloseTo(305, 9);
    expect(mid?.latest.scores).toEqual([1, 0]);
  });

  it('snaps the ball when it moves further than a third of the field between two snapshots', () => {
    const b = new SnapshotBuffer(INTERVAL_MS);
    b.push(snap(1000, 790), 1010);
    b.push(snap(1000 + INTERVAL_MS, 400), 1010 + INTERVAL_MS);
    expect(sampleAt(b, 1000 + INTERVAL_MS / 2)?.ball.x).toBe(790);
  });
});

describe('SnapshotBuffer: starvation', () => {
  it('holds the newest snapshot when render time runs past it, never extrapolating', () => {
    const b = new SnapshotBuffer(INTERVAL_MS);
    // The ball is moving right at 0.6 px/ms.
    for (let i = 0; i <= 10; i += 1)
      b.push(snap(1000 + i * INTERVAL_MS, 100 + i * 20), 1010 + i * INTERVAL_MS);
    const newestMs = 1000 + 10 * INTERVAL_MS;

    // Just past the newest snapshot, within one interval: held, not yet reported as starved.
    const edge = sampleAt(b, newestMs + INTERVAL_MS / 2);
    expect(edge?.ball.x).toBe(300);
    expect(edge?.starved).toBe(false);
    expect(b.starvedFrames).toBe(0);

    // Well past it: still the newest ball, frame after frame, and each frame counts as starved.
    for (let k = 1; k <= 5; k += 1) {
      const v = b.sample(newestMs + START_DELAY_MS + INTERVAL_MS + k * FRAME_MS);
      expect(v?.ball.x).toBe(300);
      expect(v?.starved).toBe(true);
    }
    expect(b.starvedFrames).toBe(5);
  });

  it('moves on from a held view as soon as the next snapshot arrives', () => {
    const b = new SnapshotBuffer(INTERVAL_MS);
    b.push(snap(1000, 100), 1010);
    b.push(snap(1000 + INTERVAL_MS, 120), 1010 + INTERVAL_MS);
    const held = b.sample(1000 + 2 * INTERVAL_MS + START_DELAY_MS);
    expect(held?.ball.x).toBe(120);
    b.push(snap(1000 + 3 * INTERVAL_MS, 160), 1010 + 3 * INTERVAL_MS);
    const v = b.sample(1000 + 2 * INTERVAL_MS + START_DELAY_MS + FRAME_MS);
    expect(v?.starved).toBe(false);
    expect(v?.ball.x).toBeGreaterThan(120);
    expect(v?.ball.x).toBeLessThan(160);
  });
});

describe('SnapshotBuffer: the render clock', () => {
  it('never runs backwards while the delay grows', () => {
    const b = new SnapshotBuffer(INTERVAL_MS);
    // Ball x grows with server time, so a ball that moves left means the render clock went back.
    const ballAt = (t: number) => 100 + t * 0.1;
    /**
     * Measured transit of the snapshot taken at `t`: 10 ms, then 800 ms (a slower link, or the clock
     * estimate moving). Every snapshot is in the buffer 10 ms after it was taken, so the view is
     * never starved: only the growing delay could move the render clock back.
     */
    const transit = (t: number) => (t < 1500 ? 10 : 800);
    let next = 0;
    let lastX = -Infinity;
    let maxDelay = 0;
    let heldFrames = 0;
    for (let now = 0; now <= 6000; now += FRAME_MS) {
      while (next + 10 <= now) {
        b.push(snap(next, ballAt(next)), next + transit(next));
        next += INTERVAL_MS;
      }
      const v = b.sample(now);
      if (!v) continue;
      expect(v.ball.x).toBeGreaterThanOrEqual(lastX);
      if (v.ball.x === lastX) heldFrames += 1;
      lastX = v.ball.x;
      maxDelay = Math.max(maxDelay, b.delayMs);
    }
    // The delay really did grow (faster than real time at first: the clamp had work to do).
    expect(maxDelay).toBeGreaterThan(700);
    expect(heldFrames).toBeGreaterThan(0);
  });

  it('eases the delay towards its target instead of jumping', () => {
    const b = new SnapshotBuffer(INTERVAL_MS);
    let next = 0;
    let prevDelay = b.delayMs;
    for (let now = 0; now <= 3000; now += FRAME_MS) {
      while (next + 300 <= now) {
        b.push(snap(next, 100), next + 300);
        next += INTERVAL_MS;
      }
      b.sample(now);
      // One 60 Hz frame moves the delay by a small fraction of the gap, never all of it.
      expect(Math.abs(b.delayMs - prevDelay)).toBeLessThan(20);
      prevDelay = b.delayMs;
    }
    // It settles on the transit plus one interval (plus a small margin).
    expect(b.delayMs).toBeGreaterThan(300 + INTERVAL_MS);
    expect(b.delayMs).toBeLessThan(300 + INTERVAL_MS + 10);
  });
});
