/**
 * Just enough of the Prometheus text format for the bench: read our server's /metrics, and write
 * the same two series from the floor server, so both are measured by one code path.
 */

/** Bucket bounds of `pong_tick_lateness_ms` in server/metrics.ts; the floor uses the same ones so
 * both percentiles are interpolated from identical buckets. */
export const TICK_LATENESS_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100, 250];
export const TICK_LATENESS_METRIC = 'pong_tick_lateness_ms';
export const SCHEDULER_TICKS_METRIC = 'pong_scheduler_ticks';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses every sample line (comments and blank lines skipped); throws on a line it cannot read. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`unreadable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: parseValue(m[3] as string) });
  }
  return samples;
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** The value of an unlabelled gauge or counter; throws when the server does not expose it. */
export function scalar(samples: readonly Sample[], name: string): number {
  const s = samples.find((x) => x.name === name && Object.keys(x.labels).length === 0);
  if (!s) throw new Error(`metric ${name} not found`);
  return s.value;
}

/** Cumulative buckets of one histogram, ascending by upper bound, +Inf last. */
export interface HistogramSnapshot {
  bounds: number[];
  cumulative: number[];
  count: number;
  sum: number;
}

export function histogram(samples: readonly Sample[], name: string): HistogramSnapshot {
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket` && s.labels.le !== undefined)
    .map((s) => ({ le: parseValue(s.labels.le as string), n: s.value }))
    .sort((a, b) => a.le - b.le);
  if (buckets.length === 0) throw new Error(`histogram ${name} not found`);
  return {
    bounds: buckets.map((b) => b.le),
    cumulative: buckets.map((b) => b.n),
    count: scalar(samples, `${name}_count`),
    sum: scalar(samples, `${name}_sum`),
  };
}

/** What a histogram recorded between two scrapes. */
export function histogramDelta(before: HistogramSnapshot, after: HistogramSnapshot): HistogramSnapshot {
  if (before.bounds.join() !== after.bounds.join()) throw new Error('histogram buckets changed');
  return {
    bounds: after.bounds,
    cumulative: after.cumulative.map((n, i) => n - (before.cumulative[i] ?? 0)),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * Quantile (0..1) with linear interpolation inside the bucket, as PromQL's histogram_quantile
 * does: the lowest bucket starts at 0, and a quantile in the +Inf bucket reads as the highest
 * finite bound (so "≥ that bound" is the honest reading). NaN when nothing was recorded.
 */
export function histogramQuantile(h: HistogramSnapshot, q: number): number {
  const total = h.cumulative[h.cumulative.length - 1] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  for (let i = 0; i < h.bounds.length; i++) {
    const upper = h.bounds[i] as number;
    const cum = h.cumulative[i] as number;
    if (cum < rank) continue;
    if (upper === Infinity) return h.bounds[i - 1] ?? Number.NaN;
    const lower = i === 0 ? 0 : (h.bounds[i - 1] as number);
    const below = i === 0 ? 0 : (h.cumulative[i - 1] as number);
    const inBucket = cum - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return h.bounds[h.bounds.length - 2] ?? Number.NaN;
}

/** A histogram that writes itself in the text format (the floor server's only metric type). */
export class BucketHistogram {
  private readonly counts: number[];
  private sum = 0;

  constructor(
    readonly name: string,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i += 1;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
  }

  format(): string {
    const lines = [`# TYPE ${this.name} histogram`];
    let cum = 0;
    this.bounds.forEach((le, i) => {
      cum += this.counts[i] as number;
      lines.push(`${this.name}_bucket{le="${le}"} ${cum}`);
    });
    cum += this.counts[this.bounds.length] as number;
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${cum}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${cum}`,
    );
    return lines.join('\n');
  }
}
