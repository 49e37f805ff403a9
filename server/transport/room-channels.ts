import { RoomChannel, type ChannelDeps, type MemberSocket } from './room-channel.ts';

/** Every open room's channel on this node, by room code. */
export class RoomChannels<S extends MemberSocket = MemberSocket> {
  private readonly channels = new Map<string, RoomChannel<S>>();

  constructor(private readonly deps: ChannelDeps) {}

  /** The channel of a new room (its transport). */
  open(code: string): RoomChannel<S> {
    const channel = new RoomChannel<S>(code, this.deps);
    this.channels.set(code, channel);
    return channel;
  }

  get(code: string): RoomChannel<S> | undefined {
    return this.channels.get(code);
  }

  /** Forgets a closed room's channel and returns it (its members are still in it). */
  close(code: string): RoomChannel<S> | undefined {
    const channel = this.channels.get(code);
    this.channels.delete(code);
    return channel;
  }
}
