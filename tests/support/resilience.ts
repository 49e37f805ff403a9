import { createServer } from 'node:net';
import type { WebSocket } from 'ws';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import type { Intent } from '../../shared/sim/types.ts';
import type { GameClient } from './client.ts';

/** One sample of a Prometheus text exposition: its metric name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed GET /metrics answer. */
export class MetricsScrape {
  constructor(readonly samples: readonly Sample[]) {}

  /** Every sample of `name` whose labels include `labels`. */
  select(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }

  /** The sum of the matching samples; 0 when a labelled counter has not been incremented yet. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.select(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  /** The value of a gauge or counter that must be exposed (unlabelled metrics always are). */
  required(name: string, labels: Record<string, string> = {}): number {
    const found = this.select(name, labels);
    if (found.length === 0) throw new Error(`metric ${name}${JSON.stringify(labels)} is not exposed`);
    return found.reduce((sum, s) => sum + s.value, 0);
  }

  /** A histogram's cumulative bucket counts by upper bound (`+Inf` included), and its count. */
  histogram(name: string): { buckets: Map<number, number>; count: number } {
    const buckets = new Map<number, number>();
    for (const s of this.select(`${name}_bucket`)) {
      const le = s.labels.le;
      if (le !== undefined) buckets.set(le === '+Inf' ? Infinity : Number(le), s.value);
    }
    return { buckets, count: this.required(`${name}_count`) };
  }
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (the subset prom-client writes). */
export function parseMetrics(text: string): MetricsScrape {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key as string] = value as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return new MetricsScrape(samples);
}

/** GET /metrics of a running server, parsed. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricsScrape> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/**
 * The ticks observed between two scrapes of a lateness histogram: how many, and how many ran
 * later than `thresholdMs` (which must be one of the histogram's bucket bounds).
 */
export function latenessBetween(
  before: MetricsScrape,
  after: MetricsScrape,
  name: string,
  thresholdMs: number,
): { ticks: number; late: number } {
  const a = before.histogram(name);
  const b = after.histogram(name);
  const within = (h: { buckets: Map<number, number> }) => {
    const n = h.buckets.get(thresholdMs);
    if (n === undefined) throw new Error(`${name} has no bucket at ${thresholdMs} ms`);
    return n;
  };
  const ticks = b.count - a.count;
  return { ticks, late: ticks - (within(b) - within(a)) };
}

/**
 * Re-reads `read()` every `intervalMs` until `done` holds, and returns that value. Only for state
 * that announces itself with no event (a separate process, HTTP counters); fails after `timeoutMs`
 * naming what it waited for and the last value it saw.
 */
export async function pollUntil<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  what: string,
  { timeoutMs = 5_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Settles like `promise`, or rejects with `describe()` once `ms` have passed; the timer is only a deadline. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${describe()}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port that was free a moment ago on the loopback interface (for a server in another process). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('probe server has no address');
  return address.port;
}

/**
 * Cuts a WebSocket client's connection the way a network loss does: the TCP socket is destroyed
 * with no close handshake, so neither side is told why. socket.io-client then reconnects by itself
 * when its reconnection is on.
 */
export function cutConnection(client: GameClient): void {
  const transport = client.io.engine.transport as unknown as { name: string; ws?: WebSocket };
  if (transport.name !== 'websocket' || !transport.ws) {
    throw new Error(`cutConnection needs a WebSocket transport, not ${transport.name}`);
  }
  transport.ws.terminate();
}

/** mulberry32: a small seeded generator, so a failing fuzz run can be replayed from its seed. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }
}

/** followBall() holds still when the paddle's centre is this close to the ball's height. */
const FOLLOW_DEAD_ZONE_PX = 6;

/** A policy for PlayerBot that keeps the paddle level with the ball: long rallies, few points. */
export function followBall(seat: 0 | 1): (s: Snapshot) => Intent {
  return (s) => {
    const dy = s.ball.y - s.paddles[seat];
    if (Math.abs(dy) <= FOLLOW_DEAD_ZONE_PX) return 0;
    return dy < 0 ? -1 : 1;
  };
}
