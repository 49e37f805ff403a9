import type { RoomManager } from '../rooms/room-manager.ts';
import type { MatchmakingQueue, MatchPair, QueueEntry } from './matchmaking-queue.ts';

/** What pairing found: pairs to seat now, and entries dropped because the player sat down elsewhere. */
export interface Pairing {
  pairs: MatchPair[];
  busy: QueueEntry[];
}

/**
 * Quick match on top of the queue: who may queue, and which of the queue's pairs are still good
 * when they come out. The gateway seats the pairs and tells the players; this knows no sockets.
 */
export class QuickMatch {
  constructor(
    private readonly queue: MatchmakingQueue,
    private readonly rooms: RoomManager,
  ) {}

  /** A player with a seat in a live match may not queue (one live match per player). */
  mayQueue(playerId: string): boolean {
    return !this.rooms.hasLiveSeat(playerId);
  }

  /** Queues the entry; returns the same player's entry it replaced (another tab), if any. */
  join(entry: QueueEntry): QueueEntry | null {
    return this.queue.enqueue(entry);
  }

  leave(socketId: string): boolean {
    return this.queue.removeSocket(socketId) !== null;
  }

  /**
   * Pairs waiting players. `available(socketId)` says whether a socket is still connected and in no
   * room. A pair with a side gone or busy is not seated: the other side keeps its place (re-queued),
   * and a side that sat down in another tab since it queued is dropped and reported as busy.
   */
  pair(available: (socketId: string) => boolean): Pairing {
    const result: Pairing = { pairs: [], busy: [] };
    for (const pair of this.queue.tryMatch()) {
      const ok = (e: QueueEntry) => available(e.socketId) && this.mayQueue(e.playerId);
      if (ok(pair.a) && ok(pair.b)) {
        result.pairs.push(pair);
        continue;
      }
      for (const e of [pair.a, pair.b]) {
        if (!available(e.socketId)) continue;
        if (this.mayQueue(e.playerId)) this.queue.enqueue(e);
        else result.busy.push(e);
      }
    }
    return result;
  }
}
