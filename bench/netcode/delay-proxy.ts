import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { nextRandom } from '../../shared/sim/rng.ts';

/** A bad link as a TCP application sees it: late, uneven, and now and then stalled. */
export interface LinkProfile {
  /** Round trip the proxy adds; each direction is delayed by half of it. */
  rttMs: number;
  /** Each chunk's one-way delay varies uniformly within ± this. */
  jitterMs: number;
  /**
   * Loss, the way WebSocket shows it: TCP retransmits a lost segment and holds everything behind
   * it, so the stream stalls for a while and then delivers in a burst. Each direction stalls on
   * its own schedule, every `everyMinMs`..`everyMaxMs`, for `durationMs`.
   */
  stall: { everyMinMs: number; everyMaxMs: number; durationMs: number } | null;
}

/** Uniform [0, 1) numbers from a seed (the sim's mulberry32), so a run's link is reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const r = nextRandom(state);
    state = r.state;
    return r.value;
  };
}

export interface ProxyStats {
  connections: number;
  /** Chunks forwarded, both directions. */
  chunks: number;
  /** Chunks held back by a stall window. */
  stalledChunks: number;
  /** Chunks whose own release time was earlier than the one before them (order kept, so held). */
  reorderHeldChunks: number;
  /**
   * How late each chunk left compared to its scheduled release, ms: the proxy's own timer and
   * event-loop noise, which adds to the modelled link. Large values mean a busy machine.
   */
  releaseLatenessMs: number[];
}

export interface DelayProxy {
  port: number;
  url: string;
  stats: ProxyStats;
  close(): Promise<void>;
}

interface Pending {
  releaseMs: number;
  chunk: Buffer;
}

/**
 * One direction of one connection. A TCP stream never reorders, so each chunk is released at
 * max(its own delayed time, the previous chunk's release): jitter can bunch chunks, never swap them.
 */
class DelayedDirection {
  private readonly queue: Pending[] = [];
  private lastReleaseMs = 0;
  private stallStartMs: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private srcEnded = false;
  private closed = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly profile: LinkProfile,
    private readonly random: () => number,
    private readonly stats: ProxyStats,
  ) {
    this.stallStartMs = this.nextStallStart(performance.now());
    src.on('data', (chunk: Buffer) => this.enqueue(chunk));
    src.on('end', () => {
      this.srcEnded = true;
      this.flush();
    });
  }

  private nextStallStart(fromMs: number): number {
    const s = this.profile.stall;
    if (!s) return Infinity;
    return fromMs + s.everyMinMs + this.random() * (s.everyMaxMs - s.everyMinMs);
  }

  private enqueue(chunk: Buffer): void {
    if (this.closed) return;
    const { rttMs, jitterMs, stall } = this.profile;
    let releaseMs = performance.now() + rttMs / 2 + (this.random() * 2 - 1) * jitterMs;
    if (stall) {
      while (releaseMs >= this.stallStartMs + stall.durationMs) {
        this.stallStartMs = this.nextStallStart(this.stallStartMs + stall.durationMs);
      }
      if (releaseMs >= this.stallStartMs) {
        releaseMs = this.stallStartMs + stall.durationMs;
        this.stats.stalledChunks += 1;
      }
    }
    if (releaseMs < this.lastReleaseMs) {
      releaseMs = this.lastReleaseMs;
      this.stats.reorderHeldChunks += 1;
    }
    this.lastReleaseMs = releaseMs;
    this.queue.push({ releaseMs, chunk });
    if (this.queue.length === 1) this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const head = this.queue[0];
    if (!head) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.flush();
      },
      Math.max(0, head.releaseMs - performance.now()),
    );
  }

  private flush(): void {
    if (this.closed) return;
    // Timers fire on whole milliseconds: release what is due within half of one.
    const now = performance.now() + 0.5;
    while (this.queue.length > 0 && (this.queue[0] as Pending).releaseMs <= now) {
      const { chunk, releaseMs } = this.queue.shift() as Pending;
      this.stats.chunks += 1;
      this.stats.releaseLatenessMs.push(Math.max(0, now - 0.5 - releaseMs));
      if (!this.dst.destroyed) this.dst.write(chunk);
    }
    if (this.queue.length > 0) this.schedule();
    else if (this.srcEnded && !this.dst.destroyed) this.dst.end();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }
}

/**
 * A TCP proxy on 127.0.0.1 that forwards to `targetPort` through a simulated link. Each connection
 * gets its own two directions with their own seeded randomness.
 */
export async function startDelayProxy(
  targetPort: number,
  profile: LinkProfile,
  seed: number,
): Promise<DelayProxy> {
  const stats: ProxyStats = {
    connections: 0,
    chunks: 0,
    stalledChunks: 0,
    reorderHeldChunks: 0,
    releaseLatenessMs: [],
  };
  const open = new Set<{ close(): void }>();
  const server: Server = createServer((client) => {
    const n = stats.connections;
    stats.connections += 1;
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const up = new DelayedDirection(client, upstream, profile, seededRandom(seed + 2 * n + 1), stats);
    const down = new DelayedDirection(upstream, client, profile, seededRandom(seed + 2 * n + 2), stats);
    const conn = {
      close: () => {
        up.close();
        down.close();
        client.destroy();
        upstream.destroy();
        open.delete(conn);
      },
    };
    open.add(conn);
    // Either side failing or closing ends the pair: a real link does not half-survive.
    for (const s of [client, upstream]) {
      s.on('error', conn.close);
      s.on('close', conn.close);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const conn of [...open]) conn.close();
        server.close(() => resolve());
      }),
  };
}
