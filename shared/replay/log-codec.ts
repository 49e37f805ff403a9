import type { InputLog } from './input-log.ts';

/**
 * Binary form of an InputLog, version 1. Every number is an unsigned LEB128 varint:
 *
 *   version(=1) steps
 *   leftRunCount  (leftRun)*    where a run is (count - 1) * 3 + (intent + 1)
 *   rightRunCount (rightRun)*
 *   idleSpanCount (stepDelta ticks)*   stepDelta from the previous span's step
 *
 * A run shorter than 43 steps takes one byte, so a held key costs a byte per ~0.7 s at 60 Hz and a
 * still seat costs almost nothing. Decoding checks every count, so a corrupt log is an error, never
 * a wrong replay.
 */
export const LOG_FORMAT_VERSION = 1;
/** Bigger numbers are corruption: a varint has at most 5 bytes (35 bits). */
const MAX_VARINT_BYTES = 5;

export function encodeInputLog(log: InputLog): Uint8Array {
  const out: number[] = [];
  const put = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`input log: bad number ${n}`);
    let v = n;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  };
  put(LOG_FORMAT_VERSION);
  put(log.steps);
  for (const runs of log.runs) {
    put(runs.length / 2);
    for (let i = 0; i < runs.length; i += 2) {
      const intent = runs[i] as number;
      const count = runs[i + 1] as number;
      if (intent !== -1 && intent !== 0 && intent !== 1) throw new Error(`input log: bad intent ${intent}`);
      if (count < 1) throw new Error(`input log: empty run`);
      put((count - 1) * 3 + (intent + 1));
    }
  }
  put(log.idle.length / 2);
  let prevStep = 0;
  for (let i = 0; i < log.idle.length; i += 2) {
    const step = log.idle[i] as number;
    put(step - prevStep);
    put(log.idle[i + 1] as number);
    prevStep = step;
  }
  return Uint8Array.from(out);
}

/** Parses a log written by encodeInputLog; throws on anything malformed or inconsistent. */
export function decodeInputLog(bytes: Uint8Array): InputLog {
  let pos = 0;
  const get = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i += 1) {
      if (pos >= bytes.length) throw new Error('input log: truncated');
      const b = bytes[pos] as number;
      pos += 1;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
    throw new Error('input log: number too long');
  };
  const version = get();
  if (version !== LOG_FORMAT_VERSION) throw new Error(`input log: unknown version ${version}`);
  const steps = get();
  const readRuns = (): number[] => {
    const count = get();
    if (count > bytes.length) throw new Error('input log: run count past the end');
    const runs: number[] = [];
    let total = 0;
    for (let i = 0; i < count; i += 1) {
      const v = get();
      const run = Math.floor(v / 3) + 1;
      runs.push((v % 3) - 1, run);
      total += run;
    }
    if (total !== steps) throw new Error(`input log: runs cover ${total} steps, expected ${steps}`);
    return runs;
  };
  const runs: [number[], number[]] = [readRuns(), readRuns()];
  const spans = get();
  if (spans > bytes.length) throw new Error('input log: idle span count past the end');
  const idle: number[] = [];
  let step = 0;
  for (let i = 0; i < spans; i += 1) {
    step += get();
    const ticks = get();
    if (step > steps || ticks < 1) throw new Error('input log: bad idle span');
    idle.push(step, ticks);
  }
  if (pos !== bytes.length) throw new Error('input log: trailing bytes');
  return { steps, runs, idle };
}
