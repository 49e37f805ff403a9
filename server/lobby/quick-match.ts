import type { RoomManager } from '../rooms/room-manager.ts';
import type { MatchmakingQueue, MatchPair, QueueEntry } from './matchmaking-queue.ts';

/** What pairing found: pairs to seat now, and entries dropped because the player sat down elsewhere. */
export interface Pairing {
  pairs: MatchPair[];
  busy: QueueEntry[];
}

/** Where a queued socket is, as the node running the pairing sees it. */
export type Presence = 'available' | 'gone' | 'remote';

/**
 * Quick match on top of the queue: who may queue, and which of the queue's pairs are still good
 * when they come out. The gateway seats the pairs and tells the players; this knows no sockets.
 * Queue times are read from `now`, the wall clock by default: a queue shared by several processes
 * compares the times they stamp.
 */
export class QuickMatch {
  constructor(
    private readonly queue: MatchmakingQueue,
    private readonly rooms: RoomManager,
    private readonly now: () => number = Date.now,
  ) {}

  /** Players waiting, as last seen. */
  get waiting(): number {
    return this.queue.size;
  }

  /** A player with a seat in a live match may not queue (one live match per player). */
  mayQueue(playerId: string): boolean {
    return !this.rooms.hasLiveSeat(playerId);
  }

  /** Queues a player; returns the same player's entry it replaced (another tab), if any. */
  join(entry: Omit<QueueEntry, 'enqueuedAtMs'>): Promise<QueueEntry | null> {
    return this.queue.enqueue({ ...entry, enqueuedAtMs: this.now() });
  }

  async leave(socketId: string): Promise<boolean> {
    return (await this.queue.removeSocket(socketId)) !== null;
  }

  /**
   * Pairs waiting players. `where(socketId)` says whether a socket is here and free (connected, in
   * no room), gone, or on another node (which this node cannot check: its node's presence keeps its
   * entries honest). A pair with a side gone or busy is not seated: the other side keeps its place
   * in the queue (with its original time), and a side that sat down in another tab since it queued
   * is dropped and reported as busy.
   */
  async pair(where: (entry: QueueEntry) => Presence): Promise<Pairing> {
    const result: Pairing = { pairs: [], busy: [] };
    for (const pair of await this.queue.tryMatch(this.now())) {
      const ok = (e: QueueEntry) => where(e) !== 'gone' && this.mayQueue(e.playerId);
      if (ok(pair.a) && ok(pair.b)) {
        result.pairs.push(pair);
        continue;
      }
      for (const e of [pair.a, pair.b]) {
        if (where(e) === 'gone') continue;
        if (this.mayQueue(e.playerId)) await this.queue.enqueue(e);
        else result.busy.push(e);
      }
    }
    return result;
  }
}
