import type { InputMessage } from '../protocol/schemas.ts';

/**
 * An input as one 7-byte binary WebSocket message, little-endian:
 *   u8 0xFD | u32 seq | i8 intent | u8 ticks
 * The hot path upstream (20+ messages a second per player): the server reads it below
 * socket.io's event machinery, then validates it with the same schema as the JSON form.
 */
export const INPUT_MARKER = 0xfd;
export const INPUT_FRAME_BYTES = 7;

/** True for a [seq, intent, ticks] tuple this frame can carry exactly. */
export function fitsInputFrame(data: unknown): data is InputMessage {
  if (!Array.isArray(data) || data.length !== 3) return false;
  const [seq, intent, ticks] = data as unknown[];
  return (
    Number.isInteger(seq) &&
    (seq as number) >= 0 &&
    (seq as number) <= 0xffffffff &&
    (intent === -1 || intent === 0 || intent === 1) &&
    Number.isInteger(ticks) &&
    (ticks as number) >= 0 &&
    (ticks as number) <= 255
  );
}

export function encodeInputFrame([seq, intent, ticks]: InputMessage): Uint8Array {
  const bytes = new Uint8Array(INPUT_FRAME_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, INPUT_MARKER);
  v.setUint32(1, seq, true);
  v.setInt8(5, intent);
  v.setUint8(6, ticks);
  return bytes;
}

/** Whether a raw message is an input frame (by its marker; its content is checked by the decoder). */
export function isInputFrame(data: unknown): data is Uint8Array {
  return data instanceof Uint8Array && data.byteLength > 0 && data[0] === INPUT_MARKER;
}

/** The tuple an input frame carries, not yet validated; null when the frame has the wrong size. */
export function decodeInputFrame(bytes: Uint8Array): [number, number, number] | null {
  if (bytes.byteLength !== INPUT_FRAME_BYTES) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return [v.getUint32(1, true), v.getInt8(5), v.getUint8(6)];
}
