// Keeps `npm run bench:api` from rotting: the real bench (a seeded PGlite store, the built server,
// socket.io players in rated quick matches, the open-loop API load, the waves of match ends) with
// two matches, a few requests and one-second windows, and checks its report. Needs dist/ (the
// deploy project runs after `npm run build`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from './run-script.ts';

const BENCH_TIMEOUT_MS = 240_000;
const MATCHES = 2;
const RATE = 40;

interface Window {
  seconds: number;
  ticksPerSec: number | null;
  tickLatenessMs: { p50: number | null; p99: number | null; count: number };
  matchesRecorded: number;
  ratedRecorded: number;
  playerErrors: number;
}

interface Report {
  seeded: { profiles: number; matches: number };
  baseline: Window;
  apiLoad: {
    window: Window;
    api: {
      sent: number;
      ok: number;
      failures: Record<string, number>;
      throughput: number;
      latencyMs: { p50: number; p99: number; max: number };
      byKind: Record<string, number>;
    };
  };
  matchEnds: (Window & { totalRecorded: number }) | null;
  targets: Record<string, { pass: boolean | null; value: number | null }>;
}

const dir = mkdtempSync(join(tmpdir(), 'pong-api-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench:api (smoke)', () => {
  it(
    'seeds the store, plays rated matches, loads the API and reports every figure',
    async () => {
      const out = join(dir, 'api-load.json');
      const { code, output } = await runScript('bench/api-load.ts', [
        ...['--matches', String(MATCHES), '--rate', String(RATE), '--seconds', '1', '--warmup', '0.5'],
        ...['--seed-profiles', '6', '--seed-matches', '12', '--play-points', '1', '--out', out],
      ]);
      expect(code, output).toBe(0);
      expect(output).toMatch(/API: throughput \d+\.\d\/s +latency p50 \d+\.\d\d ms +p99 \d+\.\d\d ms/);
      expect(output).toMatch(/targets: /);

      const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
      expect(report.seeded).toEqual({ profiles: 6, matches: 12, seconds: expect.any(Number) });
      const { api, window } = report.apiLoad;
      // Open loop: about RATE requests in the one-second window, every one answered 200 (the bench
      // raises the per-address rate limit), both routes asked.
      expect(api.sent).toBeGreaterThanOrEqual(RATE * 0.9);
      expect(api.sent).toBeLessThanOrEqual(RATE * 1.1);
      expect(api.failures).toEqual({});
      expect(api.ok).toBe(api.sent);
      expect(Object.keys(api.byKind).sort()).toEqual(['leaderboard', 'player']);
      expect(api.latencyMs.p50).toBeGreaterThan(0);
      expect(api.latencyMs.p99).toBeGreaterThanOrEqual(api.latencyMs.p50);
      expect(api.latencyMs.max).toBeGreaterThanOrEqual(api.latencyMs.p99 - 0.05);

      for (const w of [report.baseline, window, report.matchEnds]) {
        if (!w) throw new Error('a window did not run');
        expect(w.seconds).toBeGreaterThan(0.9);
        expect(w.ticksPerSec).toBeGreaterThan(30);
        expect(w.tickLatenessMs.count).toBeGreaterThan(30);
        expect(w.tickLatenessMs.p99).toBeGreaterThanOrEqual(w.tickLatenessMs.p50 as number);
        expect(w.playerErrors).toBe(0);
        expect(w.ratedRecorded).toBe(w.matchesRecorded);
      }
      // The waves run warms up until its first wave (every match's first end) is recorded and rated.
      expect(report.matchEnds?.totalRecorded).toBeGreaterThanOrEqual(MATCHES);
      expect(Object.keys(report.targets).sort()).toEqual([
        'apiP99Ms',
        'apiRate',
        'tickP99UnderApiLoad',
        'tickP99UnderMatchEnds',
      ]);
      for (const t of Object.values(report.targets)) expect(typeof t.pass).toBe('boolean');
    },
    BENCH_TIMEOUT_MS,
  );

  it('refuses an unknown option instead of running something else', async () => {
    const { code, output } = await runScript('bench/api-load.ts', ['--no-such-option']);
    expect(code).not.toBe(0);
    expect(output).toMatch(/no-such-option/);
  });
});
