import type { RoomListing } from '../../shared/protocol/messages.ts';

/**
 * The list of public rooms that lobby viewers see. In memory now; shaped so a Redis-backed
 * directory (hash of listings + pub/sub of changes) can replace it for several processes.
 */
export interface RoomDirectory {
  upsert(listing: RoomListing): void;
  remove(id: string): void;
  list(): RoomListing[];
  /** Called after every change; returns the unsubscribe function. */
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

  list(): RoomListing[] {
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

function sameListing(a: RoomListing, b: RoomListing): boolean {
  return (
    a.phase === b.phase &&
    a.spectators === b.spectators &&
    a.joinable === b.joinable &&
    a.players[0] === b.players[0] &&
    a.players[1] === b.players[1] &&
    a.scores[0] === b.scores[0] &&
    a.scores[1] === b.scores[1]
  );
}
