import { Emitter } from '@socket.io/component-emitter';
import * as base from 'socket.io-parser';
import { encodeInputFrame, fitsInputFrame, INPUT_MARKER } from './input-frame.ts';

/**
 * socket.io's default parser with one fast path: the `snapshot` event (a Uint8Array) travels as
 * ONE binary WebSocket frame — a one-byte marker followed by the snapshot — instead of the default
 * parser's text header frame plus binary attachment frame (two frames, ~45 extra bytes). Every
 * other packet is encoded and decoded by socket.io-parser itself, so its validation applies.
 */
export const SNAPSHOT_EVENT = 'snapshot';
/**
 * And the other way: an `input` event travels as one 7-byte binary frame (shared/codec/input-frame.ts).
 * The server usually takes it off the connection before any decoder sees it (server/transport/);
 * when one does reach this decoder (a transport that could not be hooked), it comes out as an
 * ordinary `input` event whose payload is the frame's bytes.
 */
export const INPUT_EVENT = 'input';

/** First byte of a snapshot message: the rest is the 21-byte snapshot. */
export const SNAPSHOT_MARKER = 0xfe;

export const protocol = base.protocol;
export const PacketType = base.PacketType;

/** The snapshot event's whole WebSocket message: the marker byte, then the snapshot. */
export function snapshotMessage(body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(body.byteLength + 1);
  frame[0] = SNAPSHOT_MARKER;
  frame.set(body, 1);
  return frame;
}

export class Encoder {
  private readonly inner = new base.Encoder();

  encode(packet: base.Packet): (string | Uint8Array)[] {
    const data: unknown = packet.data;
    if (
      packet.type === base.PacketType.EVENT &&
      packet.nsp === '/' &&
      packet.id === undefined &&
      Array.isArray(data) &&
      data.length === 2 &&
      data[0] === INPUT_EVENT &&
      fitsInputFrame(data[1])
    ) {
      return [encodeInputFrame(data[1])];
    }
    if (
      (packet.type === base.PacketType.EVENT || packet.type === base.PacketType.BINARY_EVENT) &&
      packet.nsp === '/' &&
      packet.id === undefined &&
      Array.isArray(data) &&
      data.length === 2 &&
      data[0] === SNAPSHOT_EVENT &&
      data[1] instanceof Uint8Array
    ) {
      return [snapshotMessage(data[1])];
    }
    return this.inner.encode(packet);
  }
}

interface DecoderEvents {
  decoded: (packet: base.Packet) => void;
}

export class Decoder extends Emitter<Record<string, never>, Record<string, never>, DecoderEvents> {
  private readonly inner: base.Decoder;
  /** True while the default decoder waits for binary attachments of a packet it has started. */
  private reconstructing = false;

  constructor() {
    super();
    this.inner = new base.Decoder();
    this.inner.on('decoded', (packet: base.Packet) => {
      this.reconstructing = false;
      this.emitReserved('decoded', packet);
    });
  }

  add(chunk: unknown): void {
    if (typeof chunk === 'string') {
      // Set before add(): a header with no attachments is emitted (and clears this) synchronously.
      this.reconstructing =
        chunk.startsWith(String(base.PacketType.BINARY_EVENT)) ||
        chunk.startsWith(String(base.PacketType.BINARY_ACK));
      this.inner.add(chunk);
      return;
    }
    const bytes = toBytes(chunk);
    if (!this.reconstructing && bytes !== null && bytes.byteLength > 0 && bytes[0] === INPUT_MARKER) {
      this.emitReserved('decoded', { type: base.PacketType.EVENT, nsp: '/', data: [INPUT_EVENT, bytes] });
      return;
    }
    if (!this.reconstructing && bytes !== null && bytes.byteLength > 0 && bytes[0] === SNAPSHOT_MARKER) {
      this.emitReserved('decoded', {
        type: base.PacketType.EVENT,
        nsp: '/',
        data: [SNAPSHOT_EVENT, bytes.subarray(1)],
      });
      return;
    }
    this.inner.add(chunk);
  }

  destroy(): void {
    this.inner.destroy();
  }
}

function toBytes(chunk: unknown): Uint8Array | null {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return null;
}
