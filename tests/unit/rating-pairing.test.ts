import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryMatchmakingQueue, type QueueEntry } from '../../server/lobby/matchmaking-queue.ts';
import {
  byWaitingOrder,
  DEFAULT_RATING_WINDOW,
  pairByRating,
  ratingWindow,
  type Waiting,
} from '../../server/lobby/rating-pairing.ts';
import {
  DEFAULT_RATING,
  MATCH_RATING_WINDOW_START,
  MATCH_RATING_WINDOW_STEP,
  MATCH_RATING_WINDOW_STEP_MS,
} from '../../shared/constants.ts';

const eligible = (a: Waiting, b: Waiting, now: number) =>
  Math.abs((a.rating ?? DEFAULT_RATING) - (b.rating ?? DEFAULT_RATING)) <=
  Math.max(ratingWindow(now - a.enqueuedAtMs), ratingWindow(now - b.enqueuedAtMs));

describe('ratingWindow', () => {
  it('starts at ±100 and widens by 50 every 5 s waited, without limit', () => {
    expect([MATCH_RATING_WINDOW_START, MATCH_RATING_WINDOW_STEP, MATCH_RATING_WINDOW_STEP_MS]).toEqual([
      100, 50, 5_000,
    ]);
    expect(ratingWindow(0)).toBe(100);
    expect(ratingWindow(4_999)).toBe(100);
    expect(ratingWindow(5_000)).toBe(150);
    expect(ratingWindow(60_000)).toBe(700);
    expect(ratingWindow(3_600_000)).toBe(100 + 720 * 50);
    // A clock a little behind another node's never narrows it below the start.
    expect(ratingWindow(-250)).toBe(100);
  });

  it('never narrows as the wait grows', () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.nat(10_000_000), (x, y) => {
        const [short, long] = x <= y ? [x, y] : [y, x];
        expect(ratingWindow(short)).toBeLessThanOrEqual(ratingWindow(long));
      }),
    );
  });
});

const waitingArb = fc
  .array(
    fc.record({
      enqueuedAtMs: fc.integer({ min: 0, max: 120_000 }),
      rating: fc.option(fc.integer({ min: 800, max: 2400 }), { nil: undefined }),
    }),
    { maxLength: 40 },
  )
  .map((ws) => byWaitingOrder(ws));

describe('pairByRating', () => {
  it('pairs only eligible players, each at most once, and leaves no two eligible players unpaired', () => {
    fc.assert(
      fc.property(waitingArb, fc.integer({ min: 0, max: 200_000 }), (waiting, extra) => {
        const now = 120_000 + extra;
        const pairs = pairByRating(waiting, now);
        const used = new Set<number>();
        for (const [i, j] of pairs) {
          expect(i).toBeLessThan(j);
          expect(used.has(i) || used.has(j)).toBe(false);
          used.add(i).add(j);
          expect(eligible(waiting[i] as Waiting, waiting[j] as Waiting, now)).toBe(true);
        }
        const left = waiting.filter((_, k) => !used.has(k));
        for (let x = 0; x < left.length; x += 1) {
          for (let y = x + 1; y < left.length; y += 1) {
            expect(eligible(left[x] as Waiting, left[y] as Waiting, now)).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('longest waiting first: each pair is its older member with the oldest eligible partner still free', () => {
    fc.assert(
      fc.property(waitingArb, fc.integer({ min: 120_000, max: 200_000 }), (waiting, now) => {
        const pairs = pairByRating(waiting, now);
        const taken = new Set<number>();
        // Replayed in the order they were made, every pair was the first free choice of the oldest free player.
        for (const [i, j] of pairs) {
          for (let k = 0; k < i; k += 1) {
            if (taken.has(k)) continue;
            // An older free player had no eligible free partner at all (else it would have gone first).
            for (let m = k + 1; m < waiting.length; m += 1) {
              if (!taken.has(m))
                expect(eligible(waiting[k] as Waiting, waiting[m] as Waiting, now)).toBe(false);
            }
          }
          for (let k = i + 1; k < j; k += 1) {
            if (!taken.has(k))
              expect(eligible(waiting[i] as Waiting, waiting[k] as Waiting, now)).toBe(false);
          }
          taken.add(i).add(j);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('nobody waits forever: once everyone has waited long enough, at most one is left', () => {
    fc.assert(
      fc.property(waitingArb, (waiting) => {
        const ratings = waiting.map((w) => w.rating ?? DEFAULT_RATING);
        const spread = ratings.length ? Math.max(...ratings) - Math.min(...ratings) : 0;
        const steps = Math.max(0, Math.ceil((spread - MATCH_RATING_WINDOW_START) / MATCH_RATING_WINDOW_STEP));
        const latest = Math.max(0, ...waiting.map((w) => w.enqueuedAtMs));
        const now = latest + steps * MATCH_RATING_WINDOW_STEP_MS;
        expect(waiting.length - 2 * pairByRating(waiting, now).length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('with equal ratings it is plain first come, first served, two by two', () => {
    const waiting = [0, 1, 2, 3, 4].map((t) => ({ enqueuedAtMs: t }));
    expect(pairByRating(waiting, 10)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('a newcomer far from everyone waits; the long waiter whose window reaches them takes them', () => {
    const waiting = [
      { enqueuedAtMs: 0, rating: 1500 },
      { enqueuedAtMs: 29_000, rating: 1320 },
      { enqueuedAtMs: 29_500, rating: 1900 },
    ];
    // At 29.9 s the first has waited 5 steps: ±350 reaches 1320 (180 away), not 1900 (400 away).
    expect(pairByRating(waiting, 29_900)).toEqual([[0, 1]]);
    expect(pairByRating(waiting.slice(1), 29_900)).toEqual([]);
    expect(DEFAULT_RATING_WINDOW.startWidth).toBe(100);
  });
});

describe('InMemoryMatchmakingQueue pairs by rating', () => {
  it('keeps a far-apart pair waiting until the window has widened enough', async () => {
    const q = new InMemoryMatchmakingQueue();
    const e = (playerId: string, rating: number, enqueuedAtMs: number): QueueEntry => ({
      playerId,
      socketId: `${playerId}#1`,
      nickname: playerId,
      enqueuedAtMs,
      rating,
    });
    await q.enqueue(e('a', 1200, 0));
    await q.enqueue(e('b', 1500, 1_000));
    // 300 apart: ±100 + 4 steps, so 20 s of waiting for the older one.
    expect(await q.tryMatch(19_999)).toEqual([]);
    expect((await q.tryMatch(20_000)).map(({ a, b }) => [a.playerId, b.playerId])).toEqual([['a', 'b']]);
    expect(q.size).toBe(0);
  });
});
