import type { Socket as EngineSocket } from 'engine.io';
import { Sender } from 'ws';
import { snapshotMessage } from '../../shared/codec/socket-parser.ts';

/** The parts of engine.io and ws this module reaches into (both pinned to exact versions). */
interface EngineInternals {
  writeBuffer: unknown[];
  transport: { name: string; socket?: { _sender?: { sendFrame(list: Buffer[], cb?: () => void): void } } };
}

/** One snapshot, encoded once and framed once, ready to hand to every member of a room. */
export interface PreparedSnapshot {
  /** engine.io message payload (the fallback path, and what long-polling members get). */
  data: Buffer;
  /** The complete WebSocket frame (header + payload) as one buffer: one write per member. */
  wire: Buffer;
}

export function prepareSnapshot(bytes: Uint8Array): PreparedSnapshot {
  const message = snapshotMessage(bytes);
  const data = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const wire = Buffer.concat(
    Sender.frame(data, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true }),
  );
  return { data, wire };
}

/**
 * Sends a prepared snapshot to one member. The hot path of the server: per member it is one
 * write of a shared buffer. When the member is on an open WebSocket and engine.io holds nothing
 * queued for it, the frame goes straight to ws's sender (what engine.io itself does for
 * pre-encoded frames, minus its per-packet bookkeeping); otherwise engine.io gets the message
 * with the pre-encoded frame, which keeps the order behind anything it has buffered and encodes
 * it normally for long-polling.
 */
export function sendSnapshot(conn: EngineSocket, snap: PreparedSnapshot): void {
  const internals = conn as unknown as EngineInternals;
  const sender = internals.transport.name === 'websocket' ? internals.transport.socket?._sender : undefined;
  if (sender && conn.readyState === 'open' && !conn.upgrading && internals.writeBuffer.length === 0) {
    sender.sendFrame([snap.wire]);
    return;
  }
  conn.write(snap.data, { wsPreEncodedFrame: [snap.wire] } as unknown as Parameters<
    EngineSocket['write']
  >[1]);
}
