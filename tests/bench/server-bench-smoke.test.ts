// Keeps `npm run bench` from rotting: runs the real bench (our built server, the same build with
// SNAPSHOT_FANOUT=engine, and the floor, each with its load generator) once each for about a second
// with two rooms, and checks the report. Needs dist/ (the deploy project runs after `npm run build`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/config.ts';
import { runScript } from './run-script.ts';
import {
  histogram,
  histogramDelta,
  histogramQuantile,
  parsePrometheusText,
} from '../../bench/lib/prometheus.ts';

const BENCH_TIMEOUT_MS = 180_000;
const ROOMS = 2;
const VARIANTS = ['ours', 'ours-engine', 'floor'] as const;

interface VariantSummary {
  cpuMsPerRoomSec: number;
  cpuMsPerRoomSecRange: { min: number; max: number };
  rssMib: number;
  kibPerRoom: number;
  bytesPerClientSec: { player: number; spectator: number };
  snapshotsPerClientSec: { player: number; spectator: number };
  snapshotIntervalMs: { p50: number; p99: number };
  tickLatenessMs: { p50: number; p99: number };
  ticksPerSec: number;
  passes: { pass: number; position: number; cpuMsPerRoomSec: number; loadGen: { inputsSentPct: number } }[];
}

interface Spread {
  mean: number;
  min: number;
  max: number;
  spread: number;
}

interface Fanout {
  oursMode: string;
  perPass: { pass: number; ours: number; oursEngine: number; ratio: number }[];
  ours: Spread;
  oursEngine: Spread;
  cpuRatio: number;
  differenceMs: number;
  largerSpreadMs: number;
  exceedsNoise: boolean | null;
}

interface Report {
  largestRooms: number;
  cpuRatio: number;
  bytesPerClientSec: number;
  tickLatenessP99Ms: number;
  fanout: (Fanout & { rooms: number }) | null;
  config: { variants: string[]; oursSnapshotFanout: string };
  targets: {
    name: string;
    pass: unknown;
    value: unknown;
    trusted: unknown;
    definedAtRooms: number | null;
    evaluatedAtRooms: number;
    note: string | null;
  }[];
  results: ({
    rooms: number;
    order: string[][];
    cpuRatio: number;
    cpuRatios: Record<string, number>;
    fanout: Fanout | null;
  } & Record<(typeof VARIANTS)[number], VariantSummary | undefined>)[];
}

const dir = mkdtempSync(join(tmpdir(), 'pong-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runBench = (args: string[]) => runScript('bench/run.ts', args);

describe('npm run bench (smoke)', () => {
  it(
    'measures our server, ours-engine and the floor with two rooms and writes every figure',
    async () => {
      const out = join(dir, 'latest.json');
      const args = [
        ...['--rooms', String(ROOMS), '--seconds', '1', '--warmup', '0.2', '--passes', '1'],
        ...['--variants', VARIANTS.join(','), '--skip-build', '--out', out],
      ];
      const { code, output } = await runBench(args);
      expect(code, output).toBe(0);
      expect(output).toMatch(/ours\/floor +\d+\.\d\d×/);
      expect(output).toMatch(/ours-engine\/floor +\d+\.\d\d×/);
      expect(output).toMatch(/snapshot fan-out: ours \(\w+\) vs ours-engine \(engine\)/);

      const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
      expect(report.largestRooms).toBe(ROOMS);
      expect(report.config.variants).toEqual(VARIANTS);
      // `ours` is the build as deployed: its fan-out mode is the configuration's default.
      expect(report.config.oursSnapshotFanout).toBe(DEFAULT_CONFIG.snapshotFanout);
      expect(report.results.map((x) => x.rooms)).toEqual([ROOMS]);
      const result = report.results[0];
      if (!result) throw new Error('no result');
      expect(result.order).toEqual([VARIANTS]);
      for (const [i, name] of VARIANTS.entries()) {
        const v = result[name];
        if (!v) throw new Error(`${name} did not run`);
        expect(v.passes).toHaveLength(1);
        expect(v.passes[0]?.position).toBe(i + 1);
        // Inputs sent against those due at 20 per player-second: about all of them (the window's
        // edges cut a tick or two), so the check that flags a generator falling behind reads right.
        expect(v.passes[0]?.loadGen.inputsSentPct).toBeGreaterThan(50);
        expect(v.passes[0]?.loadGen.inputsSentPct).toBeLessThan(110);
        expect(v.cpuMsPerRoomSec).toBeGreaterThan(0);
        expect(v.cpuMsPerRoomSecRange.min).toBe(v.cpuMsPerRoomSec);
        expect(v.cpuMsPerRoomSecRange.max).toBe(v.cpuMsPerRoomSec);
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
      const ours = result.ours as VariantSummary;
      const engine = result['ours-engine'] as VariantSummary;
      const floor = result.floor as VariantSummary;
      expect(result.cpuRatio).toBeGreaterThan(0);
      expect(result.cpuRatio).toBeCloseTo(ours.cpuMsPerRoomSec / floor.cpuMsPerRoomSec, 2);
      expect(result.cpuRatios.ours).toBe(result.cpuRatio);
      expect(result.cpuRatios['ours-engine']).toBeCloseTo(engine.cpuMsPerRoomSec / floor.cpuMsPerRoomSec, 2);
      expect(Object.keys(result.cpuRatios).sort()).toEqual(['ours', 'ours-engine']);
      expect(report.cpuRatio).toBe(result.cpuRatio);
      expect(report.bytesPerClientSec).toBeGreaterThan(0);
      expect(Number.isFinite(report.tickLatenessP99Ms)).toBe(true);

      // ours against ours-engine: the pass's own figures, and no verdict from a single pass.
      const fanout = result.fanout;
      if (!fanout) throw new Error('no fan-out comparison although ours-engine ran');
      expect(fanout.oursMode).toBe(DEFAULT_CONFIG.snapshotFanout);
      expect(fanout.perPass).toHaveLength(1);
      const [only] = fanout.perPass;
      expect(only?.pass).toBe(1);
      expect(only?.ours).toBe(ours.cpuMsPerRoomSec);
      expect(only?.oursEngine).toBe(engine.cpuMsPerRoomSec);
      expect(only?.ratio).toBeCloseTo(ours.cpuMsPerRoomSec / engine.cpuMsPerRoomSec, 2);
      expect(fanout.cpuRatio).toBeCloseTo(ours.cpuMsPerRoomSec / engine.cpuMsPerRoomSec, 2);
      expect(fanout.differenceMs).toBeCloseTo(ours.cpuMsPerRoomSec - engine.cpuMsPerRoomSec, 3);
      expect(fanout.ours).toEqual({ mean: only?.ours, min: only?.ours, max: only?.ours, spread: 0 });
      expect(fanout.largerSpreadMs).toBe(0);
      expect(fanout.exceedsNoise).toBeNull();
      expect(report.fanout).toEqual({ rooms: ROOMS, ...fanout });

      expect(report.targets.map((t) => [t.name, t.definedAtRooms])).toEqual([
        ['cpuRatio', 200],
        ['tickLatenessP99Ms', 200],
        ['kibPerRoom', 200],
        ['ticksPerSec', 500],
        ['bytesPerClientSec', null],
      ]);
      for (const t of report.targets) {
        expect(typeof t.pass).toBe('boolean');
        expect(typeof t.value).toBe('number');
        expect(typeof t.trusted).toBe('boolean');
        expect(t.evaluatedAtRooms).toBe(ROOMS);
        // Evaluated at another R than the one it is defined at: the report must say so.
        if (t.definedAtRooms !== null) expect(t.note).toMatch(`R=${t.definedAtRooms} did not run`);
      }
    },
    BENCH_TIMEOUT_MS,
  );

  it('refuses an unknown option instead of running something else', async () => {
    const { code } = await runBench(['--rooms', '2', '--skip-build', '--no-such-option']);
    expect(code).not.toBe(0);
  });

  it('refuses a variant list without the floor (nothing to read the CPU against)', async () => {
    const { code, output } = await runBench([
      '--rooms',
      '2',
      '--skip-build',
      '--variants',
      'ours,ours-engine',
    ]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/must include "floor"/);
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
