/** Someone waiting for a quick match. `playerId` is the browser's id: one entry per player. */
export interface QueueEntry {
  playerId: string;
  socketId: string;
  nickname: string;
  enqueuedAtMs: number;
}

export interface MatchPair {
  a: QueueEntry;
  b: QueueEntry;
}

/**
 * The quick-match queue as a plain data structure; whoever owns it calls tryMatch() (after each
 * enqueue, and on a timer when several processes share it). In memory now; a Redis-backed queue
 * can implement the same interface for several processes.
 */
export interface MatchmakingQueue {
  /** Adds the entry; an entry of the same player is replaced (and returned) — one entry per player. */
  enqueue(entry: QueueEntry): QueueEntry | null;
  /** Removes a player's entry by socket (cancel, disconnect); returns it if it was queued. */
  removeSocket(socketId: string): QueueEntry | null;
  /** Pairs waiting players first come, first served; every entry appears in at most one pair. */
  tryMatch(): MatchPair[];
  readonly size: number;
  entries(): QueueEntry[];
}

export class InMemoryMatchmakingQueue implements MatchmakingQueue {
  /** Insertion-ordered: a Map iterates in FIFO order. */
  private readonly byPlayer = new Map<string, QueueEntry>();

  get size(): number {
    return this.byPlayer.size;
  }

  entries(): QueueEntry[] {
    return [...this.byPlayer.values()];
  }

  enqueue(entry: QueueEntry): QueueEntry | null {
    const previous = this.byPlayer.get(entry.playerId) ?? null;
    // A second tab takes the first one's place at the back of the queue.
    this.byPlayer.delete(entry.playerId);
    this.removeSocket(entry.socketId);
    this.byPlayer.set(entry.playerId, entry);
    return previous;
  }

  removeSocket(socketId: string): QueueEntry | null {
    for (const [playerId, e] of this.byPlayer) {
      if (e.socketId === socketId) {
        this.byPlayer.delete(playerId);
        return e;
      }
    }
    return null;
  }

  tryMatch(): MatchPair[] {
    const pairs: MatchPair[] = [];
    while (this.byPlayer.size >= 2) {
      const it = this.byPlayer.values();
      const a = it.next().value as QueueEntry;
      const b = it.next().value as QueueEntry;
      this.byPlayer.delete(a.playerId);
      this.byPlayer.delete(b.playerId);
      pairs.push({ a, b });
    }
    return pairs;
  }
}
