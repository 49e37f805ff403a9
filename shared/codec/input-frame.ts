import { MAX_INPUT_TICKS_PER_MESSAGE } from '../constants.ts';
import type { InputMessage } from '../protocol/schemas.ts';

/**
 * An input as one 7-byte binary WebSocket message, little-endian:
 *   u8 0xFD | u32 seq | i8 intent | u8 ticks
 * The hot path upstream (20+ messages a second per player): the server checks it by hand here —
 * size, marker and the same ranges as the JSON form's schema — and reads its fields in place, with
 * no schema library and no allocation per message.
 */
export const INPUT_MARKER = 0xfd;
export const INPUT_FRAME_BYTES = 7;
/** Largest `seq` the protocol accepts (the JSON schema's bound too). */
export const MAX_INPUT_SEQ = 0x7fffffff;

/** True for a [seq, intent, ticks] tuple this frame can carry exactly (what the client's encoder asks). */
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
  bytes[0] = INPUT_MARKER;
  bytes[1] = seq & 0xff;
  bytes[2] = (seq >>> 8) & 0xff;
  bytes[3] = (seq >>> 16) & 0xff;
  bytes[4] = (seq >>> 24) & 0xff;
  bytes[5] = intent & 0xff;
  bytes[6] = ticks & 0xff;
  return bytes;
}

/** Whether a raw message is an input frame by its marker (its content is checked by validInputFrame). */
export function isInputFrame(data: unknown): data is Uint8Array {
  return data instanceof Uint8Array && data.byteLength > 0 && data[0] === INPUT_MARKER;
}

/** The frame's `seq` (bytes 1–4, little-endian, unsigned). */
export function inputFrameSeq(b: Uint8Array): number {
  return (b[1]! | (b[2]! << 8) | (b[3]! << 16)) + b[4]! * 0x1000000;
}

/** The frame's intent (byte 5, signed). */
export function inputFrameIntent(b: Uint8Array): number {
  return (b[5]! << 24) >> 24;
}

/** The frame's tick count (byte 6). */
export function inputFrameTicks(b: Uint8Array): number {
  return b[6]!;
}

/** Size, marker and ranges, checked by hand: the same bounds as the JSON input schema. */
export function validInputFrame(b: Uint8Array): boolean {
  if (b.byteLength !== INPUT_FRAME_BYTES || b[0] !== INPUT_MARKER) return false;
  const intent = inputFrameIntent(b);
  const ticks = b[6]!;
  return (
    inputFrameSeq(b) <= MAX_INPUT_SEQ &&
    intent >= -1 &&
    intent <= 1 &&
    ticks >= 1 &&
    ticks <= MAX_INPUT_TICKS_PER_MESSAGE
  );
}

/** The tuple an input frame carries, not yet validated; null when the frame has the wrong size. */
export function decodeInputFrame(bytes: Uint8Array): [number, number, number] | null {
  if (bytes.byteLength !== INPUT_FRAME_BYTES) return null;
  return [inputFrameSeq(bytes), inputFrameIntent(bytes), inputFrameTicks(bytes)];
}
