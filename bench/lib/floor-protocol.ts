import { Buffer } from 'node:buffer';
import type { Intent } from '../../shared/sim/types.ts';

/**
 * The floor server's whole protocol. Client → server: one text join message first, then binary
 * inputs. Server → client: the text `joined`, then bare 21-byte snapshots (shared/codec).
 */
export type FloorRole = 'left' | 'right' | 'spectator';
export const FLOOR_JOINED = 'joined';
/** u32 seq (LE) | i8 intent | u8 ticks */
export const FLOOR_INPUT_BYTES = 6;

export function joinMessage(room: number, role: FloorRole): string {
  return `join ${room} ${role}`;
}

export function parseJoin(text: string): { room: number; role: FloorRole } | null {
  const m = /^join (\d{1,6}) (left|right|spectator)$/.exec(text);
  if (!m) return null;
  return { room: Number(m[1]), role: m[2] as FloorRole };
}

export function encodeInput(seq: number, intent: Intent, ticks: number): Buffer {
  const b = Buffer.allocUnsafe(FLOOR_INPUT_BYTES);
  b.writeUInt32LE(seq >>> 0, 0);
  b.writeInt8(intent, 4);
  b.writeUInt8(ticks, 5);
  return b;
}

export function decodeInput(b: Buffer): { seq: number; intent: Intent; ticks: number } | null {
  if (b.length !== FLOOR_INPUT_BYTES) return null;
  const intent = b.readInt8(4);
  if (intent !== -1 && intent !== 0 && intent !== 1) return null;
  return { seq: b.readUInt32LE(0), intent, ticks: b.readUInt8(5) };
}
