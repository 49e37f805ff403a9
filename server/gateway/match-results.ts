import type { FastifyBaseLogger } from 'fastify';
import type { MatchResult, SeatRating } from '../../shared/protocol/messages.ts';
import { encodeInputLog } from '../../shared/replay/log-codec.ts';
import type { GameRoom, MatchEnd } from '../rooms/game-room.ts';
import type { MatchRecord, RatingChange, RecordedMatch, Store } from '../store/types.ts';

/** Tries per match before it is given up (and logged): the first, then retries with backoff. */
export const RECORD_ATTEMPTS = 8;
/** Backoff before retry n: RECORD_RETRY_BASE_MS · 2^(n-1), at most RECORD_RETRY_MAX_MS. */
export const RECORD_RETRY_BASE_MS = 250;
export const RECORD_RETRY_MAX_MS = 10_000;

export interface MatchResultsDeps {
  store: Store;
  /** Sends `match:result` to the room's members on this node. */
  emit: (roomCode: string, result: MatchResult) => void;
  log: FastifyBaseLogger;
  /** Wall clock (ms since the epoch) for the record's timestamps. */
  now?: () => number;
}

/** Only quick matches are rated (and the store rates them only between two distinct profiles). */
export function isRated(end: MatchEnd): boolean {
  return end.kind === 'public' && end.players.every((p) => p.profileId !== null);
}

/** What the room's members are told once the store has the match. */
export function toMatchResult(end: MatchEnd, recorded: RecordedMatch): MatchResult {
  const seat = (r: RatingChange | null): SeatRating | null =>
    r ? { rating: r.after, delta: Math.round(r.delta) } : null;
  const left = seat(recorded.ratings[0]);
  const right = seat(recorded.ratings[1]);
  return {
    matchId: end.matchId,
    rated: left !== null && right !== null,
    scores: end.scores,
    winner: end.winner === 0 ? 'left' : 'right',
    ratings: [left, right],
  };
}

/**
 * Records every finished match and then tells its room. A match ends inside a room's tick, and
 * nothing here runs in that tick but a timestamp and a setImmediate: the record is encoded on a
 * later turn of the event loop, the store writes it in its own thread, and a failed write is
 * retried with backoff, which is safe because recordMatch is idempotent by match id (a retry after
 * a lost answer returns the first answer). Every match is recorded (replays); rating is the store's
 * business, asked for on quick matches only.
 */
export class MatchResults {
  private readonly pending = new Set<Promise<void>>();
  /** Wakes the retry backoffs in progress (on shutdown: retry now, do not wait). */
  private readonly wakers = new Set<() => void>();
  private hurry = false;
  private readonly now: () => number;

  constructor(private readonly deps: MatchResultsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Records still being written or retried. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** GameRoom's onMatchEnd: returns at once; the write and the `match:result` come later. */
  matchEnded(room: GameRoom, end: MatchEnd): void {
    const endedAtMs = this.now();
    const code = room.code;
    const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.record(code, end, endedAtMs))
      .catch((err: unknown) => this.deps.log.error({ err, matchId: end.matchId }, 'match record failed'))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /**
   * Waits for the records in flight, retrying at once instead of backing off, for at most
   * `deadlineMs`; returns how many were still unwritten then (they are logged and lost).
   */
  async flush(deadlineMs: number): Promise<number> {
    this.hurry = true;
    for (const wake of this.wakers) wake();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs))),
    ]);
    clearTimeout(timer);
    const left = this.pending.size;
    if (left > 0) this.deps.log.error({ left }, 'match records still unwritten at shutdown');
    return left;
  }

  private async record(code: string, end: MatchEnd, endedAtMs: number): Promise<void> {
    const record: MatchRecord = {
      id: end.matchId,
      rated: isRated(end),
      players: end.players,
      scores: end.scores,
      winner: end.winner,
      forfeit: end.forfeit,
      startedAtMs: endedAtMs - end.durationMs,
      endedAtMs,
      seed: end.seed >>> 0,
      rules: end.rules,
      log: encodeInputLog(end.log),
    };
    let recorded: RecordedMatch | null = null;
    for (let attempt = 1; recorded === null; attempt += 1) {
      try {
        recorded = await this.deps.store.recordMatch(record);
      } catch (err) {
        if (attempt >= RECORD_ATTEMPTS) throw err;
        this.deps.log.warn({ err, matchId: end.matchId, attempt }, 'match record failed; retrying');
        await this.backoff(Math.min(RECORD_RETRY_MAX_MS, RECORD_RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
    this.deps.emit(code, toMatchResult(end, recorded));
  }

  private backoff(ms: number): Promise<void> {
    if (this.hurry) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}
