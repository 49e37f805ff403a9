import { encodeSnapshot, type Snapshot } from '../../../shared/codec/snapshot.ts';
import type { RoomInfo } from '../../../shared/protocol/messages.ts';
import type { RoomTransport } from '../../../server/rooms/game-room.ts';

export type TransportEvent =
  | { kind: 'broadcastSnapshot'; bytes: Uint8Array }
  | { kind: 'broadcastState'; info: RoomInfo }
  | { kind: 'sendSnapshot'; memberId: string; bytes: Uint8Array };

/** The room's injected transport, recording every call in order instead of touching sockets. */
export class RecordingTransport implements RoomTransport {
  readonly events: TransportEvent[] = [];

  broadcastSnapshot(snapshot: Snapshot): void {
    // The room reuses the object: keep what it was at the time, as bytes on the wire.
    this.events.push({ kind: 'broadcastSnapshot', bytes: encodeSnapshot(snapshot) });
  }

  broadcastState(info: RoomInfo): void {
    this.events.push({ kind: 'broadcastState', info: structuredClone(info) });
  }

  sendSnapshot(memberId: string, bytes: Uint8Array): void {
    this.events.push({ kind: 'sendSnapshot', memberId, bytes });
  }

  /** Events recorded since index `from`. */
  since(from: number): TransportEvent[] {
    return this.events.slice(from);
  }

  states(): RoomInfo[] {
    return this.events.flatMap((e) => (e.kind === 'broadcastState' ? [e.info] : []));
  }

  broadcasts(): Uint8Array[] {
    return this.events.flatMap((e) => (e.kind === 'broadcastSnapshot' ? [e.bytes] : []));
  }
}
