/** Samples kept; the offset comes from the one with the smallest round trip (least queuing). */
export const MAX_SAMPLES = 8;
/**
 * Once synced, the applied offset moves towards a new estimate by at most this many ms per ms of
 * local time: a new estimate a few ms off never makes the render clock (and the ball) jump.
 */
export const SLEW_MS_PER_MS = 0.05;
/**
 * Exchanges before the ping figure is shown: the first round trips, made while the page is still
 * starting up, read several times the real ping.
 */
export const CLOCK_SETTLED_SAMPLES = 5;
/** The ping shown is the median of this many latest round trips (one slow answer does not show). */
const SHOWN_RTT_SAMPLES = 3;

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
  /** The best estimate, from the minimum-RTT sample. */
  private offset: number | null = null;
  /** The offset serverNow() uses: follows `offset`, slewed. */
  private applied: number | null = null;
  private appliedAtMs = 0;
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

  /** True once enough exchanges have been made for the ping figure to mean something. */
  get settled(): boolean {
    return this.samples.length >= CLOCK_SETTLED_SAMPLES;
  }

  /** The ping to show: the median of the latest round trips, or null until settled. */
  get shownRttMs(): number | null {
    if (!this.settled) return null;
    const latest = this.samples.slice(-SHOWN_RTT_SAMPLES).map((s) => s.rttMs);
    return latest.sort((a, b) => a - b)[Math.floor(latest.length / 2)] as number;
  }

  /** Lets a snapshot seed the offset before the first ping answers (assumes zero latency). */
  seed(serverTimeMs: number, localNowMs: number): void {
    if (this.offset === null) this.offset = serverTimeMs - localNowMs;
  }

  get minRttMs(): number | null {
    if (this.samples.length === 0) return null;
    return Math.min(...this.samples.map((s) => s.rttMs));
  }

  /** The estimated server time; monotonic with local time once synced (slewed, never stepped). */
  serverNow(localNowMs: number): number {
    if (this.offset === null) return localNowMs;
    if (this.applied === null || this.samples.length <= 1) {
      // Until the first real exchange the estimate is rough: follow it directly.
      this.applied = this.offset;
    } else {
      const maxStep = Math.max(0, localNowMs - this.appliedAtMs) * SLEW_MS_PER_MS;
      this.applied += Math.max(-maxStep, Math.min(maxStep, this.offset - this.applied));
    }
    this.appliedAtMs = localNowMs;
    return localNowMs + this.applied;
  }

  /** The estimate before slewing (what serverNow() converges to). */
  get offsetMs(): number | null {
    return this.offset;
  }
}
