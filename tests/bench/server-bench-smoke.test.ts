// Keeps `npm run bench` from rotting: runs the real bench (our built server and the floor, each
// with its load generator) for about a second per run with two rooms, and checks the report.
// Needs dist/ (the deploy project runs after `npm run build`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from './run-script.ts';
import {
  histogram,
  histogramDelta,
  histogramQuantile,
  parsePrometheusText,
} from '../../bench/lib/prometheus.ts';

const BENCH_TIMEOUT_MS = 180_000;
const ROOMS = 2;

interface VariantSummary {
  cpuMsPerRoomSec: number;
  rssMib: number;
  kibPerRoom: number;
  bytesPerClientSec: { player: number; spectator: number };
  snapshotsPerClientSec: { player: number; spectator: number };
  snapshotIntervalMs: { p50: number; p99: number };
  tickLatenessMs: { p50: number; p99: number };
  ticksPerSec: number;
  passes: unknown[];
}

interface Report {
  largestRooms: number;
  cpuRatio: number;
  bytesPerClientSec: number;
  tickLatenessP99Ms: number;
  targets: { name: string; pass: unknown; value: unknown }[];
  results: { rooms: number; cpuRatio: number; ours: VariantSummary; floor: VariantSummary }[];
}

const dir = mkdtempSync(join(tmpdir(), 'pong-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runBench = (args: string[]) => runScript('bench/run.ts', args);

describe('npm run bench (smoke)', () => {
  it(
    'measures our server and the floor with two rooms and writes every figure',
    async () => {
      const out = join(dir, 'latest.json');
      const args = [
        '--rooms',
        String(ROOMS),
        '--seconds',
        '1',
        '--warmup',
        '0.2',
        '--skip-build',
        '--out',
        out,
      ];
      const { code, output } = await runBench(args);
      expect(code, output).toBe(0);
      expect(output).toMatch(/ratio/);

      const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
      expect(report.largestRooms).toBe(ROOMS);
      expect(report.results.map((x) => x.rooms)).toEqual([ROOMS]);
      const result = report.results[0];
      if (!result) throw new Error('no result');
      for (const v of [result.ours, result.floor]) {
        expect(v.passes).toHaveLength(2);
        expect(v.cpuMsPerRoomSec).toBeGreaterThan(0);
        expect(v.rssMib).toBeGreaterThan(10);
        expect(Number.isFinite(v.kibPerRoom)).toBe(true);
        expect(v.ticksPerSec).toBeGreaterThan(0);
        expect(v.ticksPerSec).toBeLessThan(120);
        expect(v.bytesPerClientSec.player).toBeGreaterThan(0);
        expect(v.bytesPerClientSec.spectator).toBeGreaterThan(0);
        expect(v.snapshotsPerClientSec.player).toBeGreaterThan(0);
        expect(v.snapshotsPerClientSec.spectator).toBeGreaterThan(0);
        expect(v.snapshotIntervalMs.p50).toBeGreaterThan(0);
        // Measured (an empty window would be NaN, written as null), and a fraction of a tick: a median
        // start a whole 60 Hz tick late would mean the loop no longer keeps its schedule with two rooms.
        expect(v.tickLatenessMs.p50).toBeGreaterThan(0);
        expect(v.tickLatenessMs.p50).toBeLessThan(1000 / 60);
        expect(v.tickLatenessMs.p99).toBeGreaterThanOrEqual(v.tickLatenessMs.p50);
      }
      expect(result.cpuRatio).toBeGreaterThan(0);
      expect(report.cpuRatio).toBe(result.cpuRatio);
      expect(report.bytesPerClientSec).toBeGreaterThan(0);
      expect(Number.isFinite(report.tickLatenessP99Ms)).toBe(true);
      expect(report.targets.map((t) => t.name)).toEqual([
        'cpuRatio',
        'bytesPerClientSec',
        'ticksPerSec',
        'tickLatenessP99Ms',
      ]);
      for (const t of report.targets) {
        expect(typeof t.pass).toBe('boolean');
        expect(typeof t.value).toBe('number');
      }
    },
    BENCH_TIMEOUT_MS,
  );

  it('refuses an unknown option instead of running something else', async () => {
    const { code } = await runBench(['--rooms', '2', '--skip-build', '--no-such-option']);
    expect(code).not.toBe(0);
  });
});

describe('bench tick-lateness percentiles', () => {
  const scrape = (counts: number[]) =>
    parsePrometheusText(
      [
        '# TYPE pong_tick_lateness_ms histogram',
        `pong_tick_lateness_ms_bucket{le="1"} ${counts[0]}`,
        `pong_tick_lateness_ms_bucket{le="2"} ${counts[1]}`,
        `pong_tick_lateness_ms_bucket{le="4"} ${counts[2]}`,
        `pong_tick_lateness_ms_bucket{le="+Inf"} ${counts[3]}`,
        `pong_tick_lateness_ms_sum 0`,
        `pong_tick_lateness_ms_count ${counts[3]}`,
      ].join('\n'),
    );

  it('reads only what happened between two scrapes, interpolated inside the bucket', () => {
    const before = histogram(scrape([100, 100, 100, 100]), 'pong_tick_lateness_ms');
    const after = histogram(scrape([150, 200, 200, 200]), 'pong_tick_lateness_ms');
    const window = histogramDelta(before, after);
    expect(window.count).toBe(100);
    // 50 in (0, 1], 50 in (1, 2]: the median is the top of the first bucket, p75 halfway up the second.
    expect(histogramQuantile(window, 0.5)).toBeCloseTo(1);
    expect(histogramQuantile(window, 0.75)).toBeCloseTo(1.5);
  });

  it('reports the highest finite bound when the quantile falls in +Inf', () => {
    const h = histogram(scrape([0, 0, 90, 100]), 'pong_tick_lateness_ms');
    expect(histogramQuantile(h, 0.99)).toBe(4);
  });
});
