import { mean, round } from './stats.ts';

/** One run's CPU per room-second (ms). */
export interface PassCpu {
  pass: number;
  cpuMsPerRoomSec: number;
}

/** A variant's CPU per room-second over the passes, ms. */
export interface CpuSpread {
  mean: number;
  min: number;
  max: number;
  /** max − min: how far the same variant moved from pass to pass (run-to-run noise). */
  spread: number;
}

/**
 * `ours` (snapshots written to ws's sender) against `ours-engine` (engine.io's supported path),
 * both measured in every pass of the same run. The direct path is only worth its private-internals
 * risk when it wins by more than the noise, so the difference of the means is set against the
 * larger of the two spreads.
 */
export interface FanoutComparison {
  /** The fan-out mode `ours` ran with: the production default. */
  oursMode: string;
  /** Pass by pass (the two ran back to back within each pass): ms/room·s and ours ÷ ours-engine. */
  perPass: { pass: number; ours: number; oursEngine: number; ratio: number }[];
  ours: CpuSpread;
  oursEngine: CpuSpread;
  /** mean(ours) ÷ mean(ours-engine): below 1 when ours is cheaper. */
  cpuRatio: number;
  /** mean(ours) − mean(ours-engine), ms/room·s: negative when ours is cheaper. */
  differenceMs: number;
  /** The same, % of ours-engine's mean. */
  differencePct: number;
  /** max(spread of ours, spread of ours-engine), ms/room·s. */
  largerSpreadMs: number;
  /** |difference| > largerSpread; null with a single pass (no spread to compare with). */
  exceedsNoise: boolean | null;
}

const ms = (v: number) => round(v, 4) ?? Number.NaN;

export function cpuSpread(values: readonly number[]): CpuSpread {
  if (values.length === 0) throw new Error('no passes');
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { mean: ms(mean(values)), min: ms(min), max: ms(max), spread: ms(max - min) };
}

export function compareFanout(
  ours: readonly PassCpu[],
  oursEngine: readonly PassCpu[],
  oursMode: string,
): FanoutComparison {
  const perPass = ours.map((o) => {
    const e = oursEngine.find((x) => x.pass === o.pass);
    if (!e) throw new Error(`pass ${o.pass}: ours-engine did not run`);
    return {
      pass: o.pass,
      ours: o.cpuMsPerRoomSec,
      oursEngine: e.cpuMsPerRoomSec,
      ratio: round(o.cpuMsPerRoomSec / e.cpuMsPerRoomSec, 3) ?? Number.NaN,
    };
  });
  const a = cpuSpread(perPass.map((p) => p.ours));
  const b = cpuSpread(perPass.map((p) => p.oursEngine));
  const differenceMs = a.mean - b.mean;
  const largerSpreadMs = Math.max(a.spread, b.spread);
  return {
    oursMode,
    perPass,
    ours: a,
    oursEngine: b,
    cpuRatio: round(a.mean / b.mean, 3) ?? Number.NaN,
    differenceMs: ms(differenceMs),
    differencePct: round((differenceMs / b.mean) * 100, 1) ?? Number.NaN,
    largerSpreadMs: ms(largerSpreadMs),
    exceedsNoise: perPass.length < 2 ? null : Math.abs(differenceMs) > largerSpreadMs,
  };
}

/** One line a reader can act on: does the difference stand out of the noise? */
export function fanoutVerdict(c: FanoutComparison): string {
  if (c.differenceMs === 0) return 'no difference between the means';
  const cheaper = c.differenceMs < 0 ? 'ours' : 'ours-engine';
  const by = `${Math.abs(c.differenceMs).toFixed(3)} ms/room·s (${Math.abs(c.differencePct).toFixed(1)}%)`;
  if (c.exceedsNoise === null) return `${cheaper} cheaper by ${by}; one pass: no spread to judge it against`;
  return c.exceedsNoise
    ? `${cheaper} cheaper by ${by}, more than the larger spread ${c.largerSpreadMs.toFixed(3)}: beyond run-to-run noise`
    : `difference ${by} is within the larger spread ${c.largerSpreadMs.toFixed(3)}: run-to-run noise`;
}
