import { byWaitingOrder, DEFAULT_RATING_WINDOW, pairByRating, type RatingWindow } from './rating-pairing.ts';

/** Someone waiting for a quick match. `playerId` is the browser's id: one entry per player. */
export interface QueueEntry {
  playerId: string;
  socketId: string;
  nickname: string;
  /**
   * When they queued, on the clock that tryMatch's `nowMs` reads. A queue shared by several
   * processes needs a clock they share: the wall clock (Date.now()).
   */
  enqueuedAtMs: number;
  /** Their rating for pairing; DEFAULT_RATING when unrated. */
  rating?: number;
  /** The node that holds their socket; a shared queue stamps its own node id on enqueue. */
  node?: string;
}

export interface MatchPair {
  a: QueueEntry;
  b: QueueEntry;
}

/**
 * The quick-match queue as a plain data structure; whoever owns it calls tryMatch() (after each
 * enqueue, and on a timer so windows widen and several processes share the work). Async so a
 * Redis-backed queue implements it for several processes; pairing is rating-windowed and the same
 * everywhere (rating-pairing.ts).
 */
export interface MatchmakingQueue {
  /** Adds the entry; an entry of the same player is replaced (and returned) — one entry per player. */
  enqueue(entry: QueueEntry): Promise<QueueEntry | null>;
  /** Removes a player's entry by socket (cancel, disconnect); returns it if it was queued. */
  removeSocket(socketId: string): Promise<QueueEntry | null>;
  /**
   * Pairs waiting players whose ratings fit the window their wait has earned, longest waiting
   * first; every entry appears in at most one pair, across every process sharing the queue.
   */
  tryMatch(nowMs: number): Promise<MatchPair[]>;
  /** Players waiting, as last seen (a shared queue counts every node's, refreshed by each call). */
  readonly size: number;
  /** The waiting entries, oldest first. */
  entries(): Promise<QueueEntry[]>;
}

export class InMemoryMatchmakingQueue implements MatchmakingQueue {
  /** Insertion-ordered: a Map iterates in FIFO order. */
  private readonly byPlayer = new Map<string, QueueEntry>();

  constructor(private readonly window: RatingWindow = DEFAULT_RATING_WINDOW) {}

  get size(): number {
    return this.byPlayer.size;
  }

  async entries(): Promise<QueueEntry[]> {
    return byWaitingOrder([...this.byPlayer.values()]);
  }

  async enqueue(entry: QueueEntry): Promise<QueueEntry | null> {
    const previous = this.byPlayer.get(entry.playerId) ?? null;
    // A second tab takes the first one's place (at the back: it queued later).
    this.byPlayer.delete(entry.playerId);
    this.removeSocketNow(entry.socketId);
    this.byPlayer.set(entry.playerId, entry);
    return previous;
  }

  async removeSocket(socketId: string): Promise<QueueEntry | null> {
    return this.removeSocketNow(socketId);
  }

  async tryMatch(nowMs: number): Promise<MatchPair[]> {
    const waiting = byWaitingOrder([...this.byPlayer.values()]);
    const pairs: MatchPair[] = [];
    for (const [i, j] of pairByRating(waiting, nowMs, this.window)) {
      const a = waiting[i];
      const b = waiting[j];
      if (!a || !b) continue;
      this.byPlayer.delete(a.playerId);
      this.byPlayer.delete(b.playerId);
      pairs.push({ a, b });
    }
    return pairs;
  }

  private removeSocketNow(socketId: string): QueueEntry | null {
    for (const [playerId, e] of this.byPlayer) {
      if (e.socketId === socketId) {
        this.byPlayer.delete(playerId);
        return e;
      }
    }
    return null;
  }
}
