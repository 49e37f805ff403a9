import type { RoomListing } from '../../shared/protocol/messages.ts';

/**
 * The list of public rooms that lobby viewers see: in memory for one process, in Redis for several
 * (redis-room-directory.ts). Writes are fire-and-forget (their owner never waits on the lobby);
 * reading is async because a shared directory reads every node's listings.
 */
export interface RoomDirectory {
  upsert(listing: RoomListing): void;
  remove(id: string): void;
  list(): Promise<RoomListing[]>;
  /** Called after every change (on any node, for a shared directory); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export class InMemoryRoomDirectory implements RoomDirectory {
  private readonly listings = new Map<string, RoomListing>();
  private readonly listeners = new Set<() => void>();

  upsert(listing: RoomListing): void {
    const old = this.listings.get(listing.id);
    if (old && sameListing(old, listing)) return;
    this.listings.set(listing.id, listing);
    this.changed();
  }

  remove(id: string): void {
    if (this.listings.delete(id)) this.changed();
  }

  async list(): Promise<RoomListing[]> {
    return [...this.listings.values()];
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

/** Whether two listings of one room show the same thing (no need to tell the lobby). */
export function sameListing(a: RoomListing, b: RoomListing): boolean {
  return (
    a.phase === b.phase &&
    a.node === b.node &&
    a.spectators === b.spectators &&
    a.joinable === b.joinable &&
    a.players[0] === b.players[0] &&
    a.players[1] === b.players[1] &&
    a.scores[0] === b.scores[0] &&
    a.scores[1] === b.scores[1]
  );
}
