/** Samples kept; the offset comes from the one with the smallest round trip (least queuing). */
const MAX_SAMPLES = 8;

interface Sample {
  rttMs: number;
  offsetMs: number;
}

/**
 * Estimates the server's monotonic clock from ping exchanges (NTP-style): for a ping sent at local
 * t0 and answered with server time S received at local t1, offset = S - (t0 + t1) / 2.
 */
export class ClockSync {
  private samples: Sample[] = [];
  private offset: number | null = null;
  /** Round trip of the latest exchange, for the HUD. */
  lastRttMs: number | null = null;

  addSample(sentAtMs: number, serverTimeMs: number, receivedAtMs: number): void {
    const rttMs = Math.max(0, receivedAtMs - sentAtMs);
    this.lastRttMs = rttMs;
    this.samples.push({ rttMs, offsetMs: serverTimeMs - (sentAtMs + receivedAtMs) / 2 });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    let best = this.samples[0] as Sample;
    for (const s of this.samples) if (s.rttMs < best.rttMs) best = s;
    this.offset = best.offsetMs;
  }

  /** Lets a snapshot seed the offset before the first ping answers (assumes zero latency). */
  seed(serverTimeMs: number, localNowMs: number): void {
    if (this.offset === null) this.offset = serverTimeMs - localNowMs;
  }

  get synced(): boolean {
    return this.samples.length > 0;
  }

  get minRttMs(): number | null {
    if (this.samples.length === 0) return null;
    return Math.min(...this.samples.map((s) => s.rttMs));
  }

  serverNow(localNowMs: number): number {
    return localNowMs + (this.offset ?? 0);
  }
}
