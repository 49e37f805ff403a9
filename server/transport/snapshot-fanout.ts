import type { Socket as EngineSocket } from 'engine.io';
import { SNAPSHOT_BYTES, writeSnapshot, type Snapshot } from '../../shared/codec/snapshot.ts';
import { SNAPSHOT_MARKER } from '../../shared/codec/socket-parser.ts';
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

/** A final, unmasked binary WebSocket frame (RFC 6455 §5.2): FIN + opcode 2, then a 7-bit length. */
const WS_BINARY_FIN = 0x82;
const MESSAGE_BYTES = 1 + SNAPSHOT_BYTES;
const HEADER_BYTES = 2;

/**
 * Encodes and frames a snapshot in one buffer: the two-byte WebSocket header (the message is far
 * under 126 bytes, so the length fits the first length field; the contract test checks it equals
 * ws's own `Sender.frame`), the marker, the 21 bytes. One allocation per room per snapshot.
 */
export function prepareSnapshot(snapshot: Snapshot): PreparedSnapshot {
  const wire = Buffer.allocUnsafe(HEADER_BYTES + MESSAGE_BYTES);
  wire[0] = WS_BINARY_FIN;
  wire[1] = MESSAGE_BYTES;
  wire[2] = SNAPSHOT_MARKER;
  writeSnapshot(snapshot, wire, 3);
  return { data: wire.subarray(HEADER_BYTES), frame: [wire] };
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
