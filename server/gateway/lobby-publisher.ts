import type { RoomDirectory } from '../lobby/room-directory.ts';
import type { Tickable } from '../rooms/scheduler.ts';
import type { GameServer } from './socket-gateway.ts';

export const LOBBY_CHANNEL = 'lobby';
/** Lobby viewers get at most this many list updates per second (score changes are frequent). */
export const LOBBY_PUSH_INTERVAL_MS = 250;

/**
 * Pushes the room list to every lobby viewer when it changed, throttled. Driven by the
 * process-wide scheduler, so it owns no timer of its own.
 */
export class LobbyPublisher implements Tickable {
  private dirty = false;
  private lastPushMs = -Infinity;
  private readonly unsubscribe: () => void;
  pushes = 0;

  constructor(
    private readonly io: GameServer,
    private readonly directory: RoomDirectory,
  ) {
    this.unsubscribe = directory.subscribe(() => (this.dirty = true));
  }

  tick(nowMs: number): void {
    if (!this.dirty || nowMs - this.lastPushMs < LOBBY_PUSH_INTERVAL_MS) return;
    this.dirty = false;
    // Nobody here is looking: no list to read (a shared directory reads every node's) and none to
    // encode. A viewer who subscribes later gets the whole list in the answer.
    if (!this.io.sockets.adapter.rooms.get(LOBBY_CHANNEL)?.size) return;
    this.lastPushMs = nowMs;
    this.pushes += 1;
    // Every node hears every change of a shared directory and pushes to its own viewers: through
    // the adapter, each update would reach each viewer once per node.
    void this.directory.list().then(
      (rooms) => this.io.local.to(LOBBY_CHANNEL).emit('lobby:rooms', rooms),
      () => (this.dirty = true),
    );
  }

  dispose(): void {
    this.unsubscribe();
  }
}
