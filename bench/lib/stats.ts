/** Small statistics helpers shared by the load generator, the floor server and the runner. */

/** Arithmetic mean; NaN for an empty list (a figure that was never measured must not read as 0). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Percentile (0..1) of a sorted list with linear interpolation between ranks. */
export function percentileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/**
 * A histogram of fixed-width bins: O(1) to record and no allocation, so the load generator can
 * time tens of thousands of snapshot arrivals per second without becoming the bottleneck.
 */
export class LinearHistogram {
  private readonly bins: Uint32Array;
  private overflow = 0;
  count = 0;
  max = 0;

  constructor(
    readonly binWidth: number,
    readonly limit: number,
  ) {
    this.bins = new Uint32Array(Math.ceil(limit / binWidth));
  }

  record(value: number): void {
    this.count += 1;
    if (value > this.max) this.max = value;
    const i = Math.floor(Math.max(0, value) / this.binWidth);
    if (i < this.bins.length) this.bins[i] = (this.bins[i] as number) + 1;
    else this.overflow += 1;
  }

  reset(): void {
    this.bins.fill(0);
    this.overflow = 0;
    this.count = 0;
    this.max = 0;
  }

  /** Percentile (0..1), interpolated inside its bin; `limit` when it falls past the last bin. */
  percentile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const target = Math.min(1, Math.max(0, q)) * this.count;
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      const n = this.bins[i] as number;
      if (n > 0 && seen + n >= target) return (i + (target - seen) / n) * this.binWidth;
      seen += n;
    }
    return this.limit;
  }
}

/** Rounds for display and JSON: NaN and infinities become null, so JSON stays honest. */
export function round(value: number, digits = 2): number | null {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
