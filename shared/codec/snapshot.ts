import { FIELD_HEIGHT_PX, FIELD_WIDTH_PX } from '../constants.ts';
import { ROOM_PHASES, RoomPhase } from '../protocol/messages.ts';

/**
 * Binary snapshot, little-endian, 21 bytes:
 *   u8 format | u8 phase | u32 serverTimeMs | u16 ballX | u16 ballY | u16 paddleL | u16 paddleR
 *   | u8 scoreL | u8 scoreR | u16 ackL | u16 ackR | u8 timerTenths
 * Positions are quantized to u16 over the field (error <= 0.007 px); time and acks wrap and are
 * unwrapped by the receiver against its last value.
 */
export const SNAPSHOT_FORMAT = 1;
export const SNAPSHOT_BYTES = 21;
const X_SCALE = 65535 / FIELD_WIDTH_PX;
const Y_SCALE = 65535 / FIELD_HEIGHT_PX;
/** Largest error the quantization can introduce on a coordinate, in px. */
export const QUANTIZATION_ERROR_PX = 0.5 / Math.min(X_SCALE, Y_SCALE);

export interface Snapshot {
  /** Server monotonic time in ms (wrapped to u32 on the wire). */
  serverTimeMs: number;
  phase: RoomPhase;
  ball: { x: number; y: number };
  paddles: [number, number];
  scores: [number, number];
  /** Last input sequence applied per seat (wrapped to u16 on the wire). */
  acks: [number, number];
  /** Countdown or pause-grace time left, in tenths of a second (0..255). */
  timerTenths: number;
}

const qx = (x: number) => Math.round(Math.min(FIELD_WIDTH_PX, Math.max(0, x)) * X_SCALE);
const qy = (y: number) => Math.round(Math.min(FIELD_HEIGHT_PX, Math.max(0, y)) * Y_SCALE);
const clampU8 = (n: number) => Math.min(255, Math.max(0, Math.round(n)));

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const bytes = new Uint8Array(SNAPSHOT_BYTES);
  writeSnapshot(s, bytes, 0);
  return bytes;
}

/** Writes the 21 bytes at `offset` of `out` (a frame being built around them), allocating nothing. */
export function writeSnapshot(s: Snapshot, out: Uint8Array, offset: number): void {
  const o = offset;
  out[o] = SNAPSHOT_FORMAT;
  out[o + 1] = RoomPhase[s.phase];
  u32(out, o + 2, Math.round(s.serverTimeMs) >>> 0);
  u16(out, o + 6, qx(s.ball.x));
  u16(out, o + 8, qy(s.ball.y));
  u16(out, o + 10, qy(s.paddles[0]));
  u16(out, o + 12, qy(s.paddles[1]));
  out[o + 14] = clampU8(s.scores[0]);
  out[o + 15] = clampU8(s.scores[1]);
  u16(out, o + 16, s.acks[0] & 0xffff);
  u16(out, o + 18, s.acks[1] & 0xffff);
  out[o + 20] = clampU8(s.timerTenths);
}

/** A snapshot to fill in place (the server's broadcast reuses one per room). */
export function emptySnapshot(): Snapshot {
  return {
    serverTimeMs: 0,
    phase: 'waiting',
    ball: { x: 0, y: 0 },
    paddles: [0, 0],
    scores: [0, 0],
    acks: [0, 0],
    timerTenths: 0,
  };
}

function u16(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
}

function u32(out: Uint8Array, at: number, v: number): void {
  u16(out, at, v & 0xffff);
  u16(out, at + 2, v >>> 16);
}

/** Decodes a snapshot; throws on a wrong size, format or phase so a bad frame is never drawn. */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  if (bytes.byteLength !== SNAPSHOT_BYTES) throw new Error(`snapshot: expected ${SNAPSHOT_BYTES} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(0) !== SNAPSHOT_FORMAT) throw new Error('snapshot: unknown format');
  const phase = ROOM_PHASES[v.getUint8(1)];
  if (phase === undefined) throw new Error('snapshot: unknown phase');
  return {
    serverTimeMs: v.getUint32(2, true),
    phase,
    ball: { x: v.getUint16(6, true) / X_SCALE, y: v.getUint16(8, true) / Y_SCALE },
    paddles: [v.getUint16(10, true) / Y_SCALE, v.getUint16(12, true) / Y_SCALE],
    scores: [v.getUint8(14), v.getUint8(15)],
    acks: [v.getUint16(16, true), v.getUint16(18, true)],
    timerTenths: v.getUint8(20),
  };
}

/** Unwraps a counter sent modulo 2^bits to the value nearest `reference`. */
export function unwrap(wire: number, reference: number, bits: 16 | 32): number {
  const span = 2 ** bits;
  const half = span / 2;
  const base = reference - (((reference % span) + span) % span);
  let value = base + wire;
  if (value - reference > half) value -= span;
  else if (reference - value > half) value += span;
  return value;
}
