/**
 * Liveness of the match link, judged from the game's own traffic. In a room the server sends a
 * snapshot 30 times a second in every phase, so a second without one means the link is dead or
 * frozen, long before any heartbeat would tell. TCP never says so by itself: a link that goes silent
 * (Wi-Fi out of range, a NAT that forgot us) keeps the socket "open" for minutes.
 *
 * Also measures the link's jitter, RFC 3550 style: the smoothed variation of the transit time
 * (arrival minus server send time) from one snapshot to the next. Any clock offset cancels out.
 */

/** No snapshot for this long: the link is stalled (the page says so, the server pauses the match). */
export const LINK_STALL_MS = 1000;
/** Silence after which the client gives up on its connection and opens a new one. */
export const LINK_RECONNECT_MS = 4000;
/** RFC 3550's gain for the jitter estimate: each sample moves it by 1/16 of the difference. */
const JITTER_GAIN = 1 / 16;
/** Samples before the jitter figure is shown (the first ones carry start-up noise). */
const JITTER_MIN_SAMPLES = 10;
/**
 * Arrivals this far apart are an outage, not jitter: the snapshots sent during it arrive in a burst
 * when the link comes back, and are left out of the jitter figure.
 */
export const OUTAGE_GAP_MS = 500;

export type LinkState = 'online' | 'stalled';

export class LinkMonitor {
  private lastHeardMs: number;
  private lastTransitMs: number | null = null;
  private minTransitMs = Infinity;
  /** Snapshots sent before this (local-clock estimate) are an outage's backlog. */
  private backlogBeforeMs = -Infinity;
  private jitter = 0;
  private samples = 0;
  /** The silence (its start) for which a reconnect was already asked, so it is asked once. */
  private reconnectAskedFor: number | null = null;
  /** Stalls seen (silences of LINK_STALL_MS or more that ended with a snapshot). */
  stalls = 0;

  /** `startMs`: when watching starts (the join); silence counts from then until the first snapshot. */
  constructor(startMs: number) {
    this.lastHeardMs = startMs;
  }

  /** A snapshot stamped `serverTimeMs` (server clock) arrived at local time `arrivedMs`. */
  snapshot(arrivedMs: number, serverTimeMs: number): void {
    const transit = arrivedMs - serverTimeMs;
    this.minTransitMs = Math.min(this.minTransitMs, transit);
    const gap = arrivedMs - this.lastHeardMs;
    if (gap >= LINK_STALL_MS) this.stalls += 1;
    // The link is back: whatever the server sent before now (less the quickest transit) is backlog.
    if (gap >= OUTAGE_GAP_MS) this.backlogBeforeMs = arrivedMs - this.minTransitMs;
    this.lastHeardMs = Math.max(this.lastHeardMs, arrivedMs);
    const previous = this.lastTransitMs;
    if (serverTimeMs + this.minTransitMs < this.backlogBeforeMs) {
      this.lastTransitMs = null;
      return;
    }
    this.lastTransitMs = transit;
    if (previous === null) return;
    this.jitter += (Math.abs(transit - previous) - this.jitter) * JITTER_GAIN;
    this.samples += 1;
  }

  /** Time since the last snapshot (or since watching started). */
  silenceMs(nowMs: number): number {
    return Math.max(0, nowMs - this.lastHeardMs);
  }

  state(nowMs: number): LinkState {
    return this.silenceMs(nowMs) >= LINK_STALL_MS ? 'stalled' : 'online';
  }

  /**
   * True once per silence, when it reaches LINK_RECONNECT_MS: the caller then drops the connection
   * and lets socket.io open a new one.
   */
  takeReconnect(nowMs: number): boolean {
    if (this.silenceMs(nowMs) < LINK_RECONNECT_MS || this.reconnectAskedFor === this.lastHeardMs)
      return false;
    this.reconnectAskedFor = this.lastHeardMs;
    return true;
  }

  /** Smoothed snapshot jitter, ms; null until enough snapshots have arrived. */
  get jitterMs(): number | null {
    return this.samples >= JITTER_MIN_SAMPLES ? this.jitter : null;
  }
}
