/**
 * A per-socket token bucket. Hand-written on purpose: it runs synchronously on every inbound
 * packet of the hot path (tens of thousands per second), with no promise, timer or shared store
 * per socket; the HTTP API uses @fastify/rate-limit.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.lastMs = nowMs;
  }

  take(nowMs: number): boolean {
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((nowMs - this.lastMs) * this.refillPerSecond) / 1000,
    );
    this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Sustained message rate a client may keep up: inputs (≤ 60/s when the intent changes every tick) and pings. */
export const SOCKET_MESSAGES_PER_S = 80;
/** Short bursts allowed on top (a reconnect re-sends a few things at once). */
export const SOCKET_BURST = 160;
/** Messages dropped by the limiter before the socket is disconnected as abusive. */
export const SOCKET_ABUSE_DROPS = 400;
