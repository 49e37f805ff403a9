import type { Socket as EngineSocket } from 'engine.io';
import { Sender } from 'ws';
import { snapshotMessage } from '../../shared/codec/socket-parser.ts';
import { writeDirect, writePreEncoded } from './engine-internals.ts';

/** How a snapshot reaches a member on an open WebSocket: ws's sender directly, or engine.io's path. */
export type FanoutMode = 'direct' | 'engine';

/** One snapshot, encoded once and framed once, ready to hand to every member of a room. */
export interface PreparedSnapshot {
  /** The engine.io message (what long-polling members get, and the fallback's payload). */
  readonly data: Buffer;
  /** The complete WebSocket frame as a one-element list: the same list is written for every member. */
  readonly frame: readonly Buffer[];
}

export function prepareSnapshot(bytes: Uint8Array): PreparedSnapshot {
  const message = snapshotMessage(bytes);
  const data = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const frame = [
    Buffer.concat(Sender.frame(data, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true })),
  ];
  return { data, frame };
}

/**
 * Sends a prepared snapshot to one member: per member, one write of a shared buffer. With `direct`
 * the frame goes straight to ws's sender whenever engine.io's own preconditions hold (see
 * engine-internals.ts); otherwise, and always with `engine`, engine.io gets the message with its
 * pre-encoded frame, which keeps the order behind anything it has buffered and encodes it for
 * long-polling.
 */
export function sendSnapshot(conn: EngineSocket, snap: PreparedSnapshot, mode: FanoutMode): void {
  if (mode === 'direct' && writeDirect(conn, snap.frame)) return;
  writePreEncoded(conn, snap.data, snap.frame);
}
