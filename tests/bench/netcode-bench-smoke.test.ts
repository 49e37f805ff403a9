// Keeps `npm run bench:netcode` from rotting: runs the real bench for about a second on one link
// condition and checks the report, and pins down the two things its figures rest on: the delay
// proxy never reorders a stream, and what counts as a visible jump and as input delay.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from './run-script.ts';
import { startDelayProxy } from '../../bench/netcode/delay-proxy.ts';
import {
  AuthorityTrack,
  ballQuality,
  inputDelays,
  JUMP_THRESHOLD_PX,
  type FrameRecord,
} from '../../bench/netcode/metrics.ts';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import type { Intent } from '../../shared/sim/types.ts';

const BENCH_TIMEOUT_MS = 120_000;

const dir = mkdtempSync(join(tmpdir(), 'pong-netcode-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runBench = (args: string[]) => runScript('bench/netcode.ts', args);

interface ConditionReport {
  name: string;
  frames: number;
  inputDelay: { changes: number; frames: { max: number } };
  corrections: { count: number };
  ball: {
    comparedFrames: number;
    rmsErrorPx: number;
    maxErrorPx: number;
    jumps: number;
    jumpsAfterBenchStall: number;
    jumpsPerMinute: number;
  };
  interpolationDelayMs: { end: number };
  clock: { offsetErrorMsEnd: number; minRttMs: number | null };
  bench: { trusted: boolean };
  targets: Record<string, { target: number | null; value: number; pass: boolean | null }>;
}

describe('npm run bench:netcode (smoke)', () => {
  it(
    'plays a match through a 100 ms link for a second and writes every figure',
    async () => {
      const out = join(dir, 'netcode.json');
      const { code, output } = await runBench(['--seconds', '1', '--conditions', '100', '--out', out]);
      expect(code, output).toBe(0);
      expect(output).toMatch(/rtt100/);

      const report = JSON.parse(readFileSync(out, 'utf8')) as { conditions: ConditionReport[] };
      expect(report.conditions.map((c) => c.name)).toEqual(['rtt100']);
      const c = report.conditions[0] as ConditionReport;
      expect(c.frames).toBeGreaterThan(30);
      expect(c.ball.comparedFrames).toBeGreaterThan(0);
      expect(Number.isFinite(c.ball.rmsErrorPx)).toBe(true);
      expect(c.ball.maxErrorPx).toBeGreaterThanOrEqual(c.ball.rmsErrorPx);
      expect(Number.isFinite(c.ball.jumpsPerMinute)).toBe(true);
      // A loss-free link: the server never guesses a tick, so replaying the unacknowledged ticks
      // lands exactly on the prediction. Only a stall of the bench process itself (a burst that
      // overflows the server's input queue) can excuse a correction, and the report says so.
      expect(c.bench.trusted && c.corrections.count > 0, JSON.stringify(c.corrections)).toBe(false);
      // The link is there: the client measured a round trip near 100 ms and buffers past half of it.
      expect(c.clock.minRttMs).toBeGreaterThan(70);
      expect(c.interpolationDelayMs.end).toBeGreaterThan(50);
      expect(Math.abs(c.clock.offsetErrorMsEnd)).toBeLessThan(50);
      // rtt100 is loss-free and the jump target's condition: every target is judged, and judged
      // from the figures the report holds.
      expect(c.targets).toEqual({
        inputDelayFrames: { target: 0, value: expect.any(Number), pass: expect.any(Boolean) },
        corrections: { target: 0, value: c.corrections.count, pass: c.corrections.count === 0 },
        jumpsPerMinute: {
          target: 0,
          value: c.ball.jumpsPerMinute,
          pass: c.ball.jumps - c.ball.jumpsAfterBenchStall === 0,
        },
      });
      const inputDelay = c.targets.inputDelayFrames;
      expect(inputDelay?.value).toBe(c.inputDelay.frames.max);
      expect(inputDelay?.pass).toBe(c.inputDelay.frames.max === 0);
    },
    BENCH_TIMEOUT_MS,
  );

  it('refuses an unknown option or condition instead of running something else', async () => {
    expect((await runBench(['--no-such-option'])).code).not.toBe(0);
    expect((await runBench(['--conditions', '75', '--seconds', '1'])).code).not.toBe(0);
  });
});

describe('delay proxy', () => {
  it('delays each direction by half the round trip and never reorders, whatever the jitter', async () => {
    const echo: Server = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const proxy = await startDelayProxy(
      (echo.address() as AddressInfo).port,
      { rttMs: 40, jitterMs: 15, stall: null },
      7,
    );
    try {
      const socket = tcpConnect(proxy.port, '127.0.0.1');
      socket.setNoDelay(true);
      const count = 200;
      const expected = Buffer.from(Array.from({ length: count }, (_, i) => i % 256));
      const started = performance.now();
      const received = new Promise<{ bytes: Buffer; firstMs: number }>((resolve) => {
        const chunks: Buffer[] = [];
        let firstMs = 0;
        socket.on('data', (d: Buffer) => {
          if (chunks.length === 0) firstMs = performance.now() - started;
          chunks.push(d);
          const bytes = Buffer.concat(chunks);
          if (bytes.length >= count) resolve({ bytes, firstMs });
        });
      });
      // One byte per write, a few at a time, so chunks get different jitter.
      for (let i = 0; i < count; i += 10) {
        for (let j = i; j < i + 10; j += 1) socket.write(expected.subarray(j, j + 1));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const { bytes, firstMs } = await received;
      expect(bytes.equals(expected)).toBe(true);
      // Two directions of 20 ± 15 ms each.
      expect(firstMs).toBeGreaterThanOrEqual(10);
      socket.destroy();
    } finally {
      await proxy.close();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });
});

/** A snapshot in play with the ball at (x, 300). */
const snap = (serverTimeMs: number, x: number, scores: [number, number] = [0, 0]): Snapshot => ({
  serverTimeMs,
  phase: 'playing',
  ball: { x, y: 300 },
  paddles: [300, 300],
  scores,
  acks: [0, 0],
  timerTenths: 0,
});

const frame = (i: number, over: Partial<FrameRecord>): FrameRecord => ({
  nowMs: i * (1000 / 60),
  renderMs: 1000 + i * (1000 / 60),
  ball: { x: 0, y: 300 },
  ownY: 300,
  correctedPx: 0,
  intent: 0,
  ticks: 1,
  held: false,
  delayMs: 100,
  clockErrorMs: 0,
  ...over,
});

describe('netcode figures', () => {
  // The authoritative ball crosses at 1100 px/s (the top speed): 18.3 px per 60 Hz frame.
  const speed = 1.1;
  const track = new AuthorityTrack();
  for (let t = 900; t <= 2000; t += 1000 / 30) track.add(snap(t, 100 + (t - 900) * speed));
  const trueX = (renderMs: number) => 100 + (renderMs - 900) * speed;

  it('a top-speed ball drawn where it was is neither an error nor a jump', () => {
    const frames = Array.from({ length: 40 }, (_, i) =>
      frame(i, { ball: { x: trueX(1000 + i * (1000 / 60)), y: 300 } }),
    );
    const r = ballQuality(frames, track);
    expect(r.frames).toBe(40);
    expect(r.maxErrorPx).toBeLessThan(1e-6);
    expect(r.jumps).toBe(0);
  });

  it('a held ball that catches up is one jump, on the catch-up frame', () => {
    const frames = Array.from({ length: 40 }, (_, i) => {
      const renderMs = 1000 + i * (1000 / 60);
      // Frames 10..12 show frame 9's ball (starved), frame 13 is right again.
      const shown = i >= 10 && i <= 12 ? trueX(1000 + 9 * (1000 / 60)) : trueX(renderMs);
      return frame(i, { ball: { x: shown, y: 300 }, held: i >= 10 && i <= 12 });
    });
    const r = ballQuality(frames, track);
    expect(r.jumps).toBe(1);
    expect(r.jumpLog[0]?.afterHeld).toBe(true);
    expect(r.maxExcessPx).toBeGreaterThan(JUMP_THRESHOLD_PX);
    expect(r.maxErrorPx).toBeCloseTo(3 * 18.33, 0);
  });

  it('skips the frames around a point being scored', () => {
    const scored = new AuthorityTrack();
    scored.add(snap(1000, 780));
    scored.add(snap(1033, 400, [1, 0]));
    scored.add(snap(1300, 400, [1, 0]));
    expect(scored.ballAt(1016)).toBeNull();
    expect(scored.ballAt(1250)).not.toBeNull();
  });

  it('input delay is the frames from an intent change to the first drawn move that matches it', () => {
    const intents: Intent[] = [0, 0, 1, 1, 1, 1, -1, -1, -1, 0, 0];
    // The paddle follows at once, except that the turn to -1 shows a frame late.
    const ys = [300, 300, 308, 316, 324, 332, 340, 332, 324, 324, 324];
    const frames = intents.map((intent, i) => frame(i, { intent, ownY: ys[i] as number }));
    const r = inputDelays(frames);
    expect(r.changes).toBe(3);
    expect(r.frames.max).toBe(1);
    expect(r.atZero).toBe(2);
  });
});
