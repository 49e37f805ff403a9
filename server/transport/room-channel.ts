import type { Socket } from 'socket.io';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import type { RoomInfo } from '../../shared/protocol/messages.ts';
import type { RoomTransport } from '../rooms/game-room.ts';
import { prepareSnapshot, sendSnapshot, type FanoutMode } from './snapshot-fanout.ts';

/** The socket.io side of a member: its socket.io socket and, under it, its engine.io connection. */
export type MemberSocket = Pick<Socket, 'id' | 'conn' | 'join' | 'leave' | 'emit'>;

export interface ChannelDeps {
  /** Emits `room:state` to the channel's members on this node only (never through an adapter). */
  emitState: (channel: string, info: RoomInfo) => void;
  fanout: FanoutMode;
  /** Called once per snapshot with the number of members written to and the payload size. */
  onSnapshot: (members: number, bytes: number) => void;
  onWriteError: (socketId: string, err: unknown) => void;
}

/**
 * A room's members as sockets: the room's transport. It keeps its members' connections in a Map of
 * its own (the hot path walks it 30 times a second), and mirrors them into the socket.io room of the
 * same name, which `room:state`, the admin UI and `io.in()` use.
 */
export class RoomChannel<S extends MemberSocket = MemberSocket> implements RoomTransport {
  readonly name: string;
  private readonly members = new Map<string, S>();

  constructor(
    code: string,
    private readonly deps: ChannelDeps,
  ) {
    this.name = `room:${code}`;
  }

  get size(): number {
    return this.members.size;
  }

  /** The member sockets, e.g. to evict them when the room closes. */
  sockets(): S[] {
    return [...this.members.values()];
  }

  add(socket: S): void {
    this.members.set(socket.id, socket);
    void socket.join(this.name);
  }

  remove(socket: S): void {
    this.members.delete(socket.id);
    void socket.leave(this.name);
  }

  has(socketId: string): boolean {
    return this.members.has(socketId);
  }

  /** Encoded once by the room, framed once here, then one write of the same buffer per member. */
  broadcastSnapshot(snapshot: Snapshot): void {
    if (this.members.size === 0) return;
    const snap = prepareSnapshot(snapshot);
    const { fanout, onWriteError } = this.deps;
    let sent = 0;
    for (const member of this.members.values()) {
      // One member's dead socket must never cost the others their snapshot.
      try {
        sendSnapshot(member.conn, snap, fanout);
        sent += 1;
      } catch (err) {
        onWriteError(member.id, err);
      }
    }
    this.deps.onSnapshot(sent, snap.data.byteLength - 1);
  }

  broadcastState(info: RoomInfo): void {
    this.deps.emitState(this.name, info);
  }

  /** A joiner's full snapshot, through socket.io (the parser frames it as one WebSocket message). */
  sendSnapshot(memberId: string, bytes: Uint8Array): void {
    this.members.get(memberId)?.emit('snapshot', bytes);
  }
}
