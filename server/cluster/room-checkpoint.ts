import { logPosition, type InputLog } from '../../shared/replay/input-log.ts';
import { isLogSegment, joinSegments } from '../../shared/replay/log-segments.ts';
import type { RoomCheckpoint } from '../rooms/game-room.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A checkpoint as Redis keeps it: JSON bytes. */
export function encodeCheckpoint(checkpoint: RoomCheckpoint): Uint8Array {
  return encoder.encode(JSON.stringify(checkpoint));
}

/**
 * A checkpoint from Redis, or null when it is not one this version can resume. Version 1 (written
 * before the log moved out of the checkpoint) carries its whole log, and is read as version 2.
 */
export function parseCheckpoint(bytes: Uint8Array): RoomCheckpoint | null {
  try {
    const value = JSON.parse(decoder.decode(bytes)) as Omit<Partial<RoomCheckpoint>, 'v'> & { v?: unknown };
    if (value.v !== 1 && value.v !== 2) return null;
    if (typeof value.code !== 'string' || typeof value.id !== 'string') return null;
    if (!Array.isArray(value.seats) || value.seats.length !== 2) return null;
    const rec = value.recording;
    if (rec) {
      if (value.v === 1) {
        if (typeof rec.log !== 'object' || rec.log === null) return null;
        rec.logEnd = logPosition(rec.log);
      } else if (typeof rec.logEnd !== 'number') {
        return null;
      }
    }
    return { ...value, v: 2 } as RoomCheckpoint;
  } catch {
    return null;
  }
}

/**
 * The checkpoint with its recording's log rebuilt from the segments saved beside it (a log the
 * checkpoint carries itself, version 1, is kept). When the segments do not join into a log that
 * ends exactly at the checkpoint's `logEnd` (a list lost or cut short in Redis), the log is null and
 * `lost` is true: the match resumes without a recording rather than with a wrong one.
 */
export function withSegmentLog(
  checkpoint: RoomCheckpoint,
  segments: readonly string[],
): { checkpoint: RoomCheckpoint; lost: boolean } {
  const rec = checkpoint.recording;
  if (!rec || rec.log) return { checkpoint, lost: false };
  const log = joinParsed(segments, rec.logEnd);
  return { checkpoint: { ...checkpoint, recording: { ...rec, log } }, lost: log === null };
}

function joinParsed(segments: readonly string[], end: number): InputLog | null {
  const parsed = [];
  for (const s of segments) {
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch {
      return null;
    }
    if (!isLogSegment(value)) return null;
    parsed.push(value);
  }
  return joinSegments(parsed, end);
}
