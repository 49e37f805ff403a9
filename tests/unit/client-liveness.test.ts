import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import { CLOCK_SETTLED_SAMPLES, ClockSync } from '../../client/src/net/clock-sync.ts';
import { LINK_RECONNECT_MS, LINK_STALL_MS, LinkMonitor } from '../../client/src/net/link-monitor.ts';
import { SnapshotBuffer } from '../../client/src/net/snapshot-buffer.ts';

const SNAPSHOT_MS = 1000 / 30;

/** Feeds `count` snapshots 33 ms apart, each taking `transit(i)` ms to arrive; returns the last arrival. */
function feed(
  link: LinkMonitor,
  fromServerMs: number,
  count: number,
  transit: (i: number) => number,
): number {
  let arrived = 0;
  for (let i = 0; i < count; i += 1) {
    const sent = fromServerMs + i * SNAPSHOT_MS;
    arrived = sent + transit(i);
    link.snapshot(arrived, sent);
  }
  return arrived;
}

describe('LinkMonitor: the client notices a silent link from the snapshot stream', () => {
  it('stays online while snapshots arrive, and is stalled after LINK_STALL_MS without one', () => {
    const link = new LinkMonitor(0);
    const last = feed(link, 0, 30, () => 40);
    expect(link.state(last + LINK_STALL_MS - 1)).toBe('online');
    expect(link.state(last + LINK_STALL_MS)).toBe('stalled');
    expect(link.silenceMs(last + 1500)).toBeCloseTo(1500, 6);
    // A snapshot again: online at once.
    link.snapshot(last + 1600, last + 1600 - 40);
    expect(link.state(last + 1600)).toBe('online');
    expect(link.stalls).toBe(1);
  });

  it('counts silence from the join when no snapshot ever arrives', () => {
    const link = new LinkMonitor(5000);
    expect(link.state(5000 + LINK_STALL_MS - 1)).toBe('online');
    expect(link.state(5000 + LINK_STALL_MS)).toBe('stalled');
  });

  it('asks for a reconnect once per silence, after LINK_RECONNECT_MS', () => {
    const link = new LinkMonitor(0);
    const last = feed(link, 0, 10, () => 20);
    expect(link.takeReconnect(last + LINK_RECONNECT_MS - 1)).toBe(false);
    expect(link.takeReconnect(last + LINK_RECONNECT_MS)).toBe(true);
    // The same silence goes on: asked already (socket.io's own back-off takes over).
    expect(link.takeReconnect(last + 2 * LINK_RECONNECT_MS)).toBe(false);
    // The link came back, then went silent again: a new silence, a new request.
    const back = last + 2 * LINK_RECONNECT_MS + 100;
    link.snapshot(back, back - 20);
    expect(link.takeReconnect(back + LINK_RECONNECT_MS - 1)).toBe(false);
    expect(link.takeReconnect(back + LINK_RECONNECT_MS)).toBe(true);
  });

  it('measures jitter from transit variation: zero on a steady link, the spread on a jittery one', () => {
    const steady = new LinkMonitor(0);
    expect(steady.jitterMs).toBeNull();
    feed(steady, 0, 60, () => 50);
    expect(steady.jitterMs).toBeCloseTo(0, 6);

    // Transit alternates 40 / 60 ms: every step varies by 20 ms, and the estimate converges there.
    const jittery = new LinkMonitor(0);
    feed(jittery, 0, 200, (i) => (i % 2 === 0 ? 40 : 60));
    expect(jittery.jitterMs).toBeGreaterThan(19);
    expect(jittery.jitterMs).toBeLessThanOrEqual(20);
  });

  it('leaves a stall and the burst of held-back snapshots after it out of the jitter figure', () => {
    const link = new LinkMonitor(0);
    let last = feed(link, 0, 60, () => 50);
    expect(link.jitterMs).toBeCloseTo(0, 6);
    // The link freezes for 3 s; then 90 held-back snapshots arrive within a few ms of each other.
    const resumeAt = last + 3000;
    const firstHeld = 60 * SNAPSHOT_MS;
    for (let i = 0; i < 90; i += 1) link.snapshot(resumeAt + i * 0.1, firstHeld + i * SNAPSHOT_MS);
    // Then the stream is steady again.
    last = feed(link, firstHeld + 90 * SNAPSHOT_MS, 30, () => 50);
    expect(link.stalls).toBe(1);
    expect(link.jitterMs).toBeLessThan(1);
    expect(link.state(last)).toBe('online');
  });
});

describe('ClockSync: the ping is shown only once the clock has settled', () => {
  it('has no ping figure before CLOCK_SETTLED_SAMPLES exchanges, then the median of the latest', () => {
    const clock = new ClockSync();
    // Start-up: the first answers come late (the page is busy starting).
    const rtts = [360, 340, 300, 42, 40];
    let t = 0;
    rtts.forEach((rtt, i) => {
      expect(clock.shownRttMs).toBeNull();
      expect(clock.settled).toBe(false);
      clock.addSample(t, 10_000 + t + rtt / 2, t + rtt);
      t += 250;
      if (i === CLOCK_SETTLED_SAMPLES - 1) expect(clock.settled).toBe(true);
    });
    expect(CLOCK_SETTLED_SAMPLES).toBe(rtts.length);
    // Median of 300, 42, 40: the start-up round trips no longer show.
    expect(clock.shownRttMs).toBe(42);
    clock.addSample(t, 10_000 + t + 20, t + 41);
    expect(clock.shownRttMs).toBe(41);
  });
});

describe('SnapshotBuffer: a frozen link does not leave the interpolation delay at the outage length', () => {
  const snap = (serverTimeMs: number): Snapshot => ({
    serverTimeMs,
    phase: 'playing',
    ball: { x: 400, y: 300 },
    paddles: [300, 300],
    scores: [0, 0],
    acks: [0, 0],
    timerTenths: 0,
  });

  it('keeps the delay near the steady link’s after a 3 s freeze and its burst', () => {
    const buffer = new SnapshotBuffer(SNAPSHOT_MS);
    let server = 0;
    let render = 0;
    const step = (transitMs: number) => {
      server += SNAPSHOT_MS;
      buffer.push(snap(server), server + transitMs);
      render = Math.max(render, server + transitMs);
      buffer.sample(render);
    };
    for (let i = 0; i < 120; i += 1) step(20);
    const steadyDelay = buffer.delayMs;
    expect(steadyDelay).toBeLessThan(100);
    // Frozen for 3 s: the renderer runs on, then 90 held-back snapshots arrive at once.
    const resumeAt = server + 20 + 3000;
    for (let i = 0; i < 90; i += 1) {
      server += SNAPSHOT_MS;
      buffer.push(snap(server), resumeAt);
      buffer.sample(resumeAt);
    }
    render = resumeAt;
    for (let i = 0; i < 90; i += 1) step(20);
    expect(buffer.delayMs).toBeLessThan(steadyDelay + 20);
  });
});
