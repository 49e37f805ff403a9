/**
 * Rated pairing, shared by every MatchmakingQueue so the in-memory and the Redis queue pair alike.
 *
 * A waiting player accepts opponents within a rating window that starts at ±START and widens by
 * STEP for every STEP_MS waited, without limit, so nobody waits forever. Two players may meet when
 * their difference fits the wider of their two windows — the window of whoever has waited longer:
 * a long wait buys a wider choice for both sides.
 *
 * Among eligible pairs, the longest waiting go first: walk the queue oldest first; each player not
 * yet paired takes the oldest eligible partner behind them.
 */
import {
  DEFAULT_RATING,
  MATCH_RATING_WINDOW_START,
  MATCH_RATING_WINDOW_STEP,
  MATCH_RATING_WINDOW_STEP_MS,
} from '../../shared/constants.ts';

export interface RatingWindow {
  startWidth: number;
  step: number;
  stepMs: number;
}

export const DEFAULT_RATING_WINDOW: RatingWindow = {
  startWidth: MATCH_RATING_WINDOW_START,
  step: MATCH_RATING_WINDOW_STEP,
  stepMs: MATCH_RATING_WINDOW_STEP_MS,
};

/** What pairing needs to know of a waiting player. */
export interface Waiting {
  enqueuedAtMs: number;
  rating?: number;
}

/** How far (±) from their own rating a player who has waited `waitedMs` accepts an opponent. */
export function ratingWindow(waitedMs: number, w: RatingWindow = DEFAULT_RATING_WINDOW): number {
  // A clock that steps back (another node's enqueue time a little ahead of ours) never narrows it.
  const steps = Math.floor(Math.max(0, waitedMs) / w.stepMs);
  return w.startWidth + steps * w.step;
}

/** Oldest first; ties (same millisecond) keep the order they came in. */
export function byWaitingOrder<T extends Waiting>(entries: readonly T[]): T[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((x, y) => x.e.enqueuedAtMs - y.e.enqueuedAtMs || x.i - y.i)
    .map(({ e }) => e);
}

/**
 * Pairs `waiting` (oldest first, see byWaitingOrder) at `nowMs`; returns pairs of indices into
 * `waiting`, the older first, each index in at most one pair.
 */
export function pairByRating(
  waiting: readonly Waiting[],
  nowMs: number,
  w: RatingWindow = DEFAULT_RATING_WINDOW,
): [number, number][] {
  const pairs: [number, number][] = [];
  const taken = new Uint8Array(waiting.length);
  for (let i = 0; i < waiting.length; i += 1) {
    const older = waiting[i];
    if (taken[i] || !older) continue;
    const reach = ratingWindow(nowMs - older.enqueuedAtMs, w);
    const rating = older.rating ?? DEFAULT_RATING;
    for (let j = i + 1; j < waiting.length; j += 1) {
      const younger = waiting[j];
      if (taken[j] || !younger) continue;
      // The wider window decides; in waiting order that is the older one's, but a caller's order
      // (or a clock step) must not make it narrower.
      const window = Math.max(reach, ratingWindow(nowMs - younger.enqueuedAtMs, w));
      if (Math.abs((younger.rating ?? DEFAULT_RATING) - rating) <= window) {
        taken[i] = 1;
        taken[j] = 1;
        pairs.push([i, j]);
        break;
      }
    }
  }
  return pairs;
}
