import { logPosition, type InputLog, type LogSegment } from './input-log.ts';

/*
 * A log kept in pieces and put back together. A cluster node saves a match's log as segments
 * (InputRecorder.since(mark): only what was recorded since the last save it knows succeeded), and
 * the node that resumes the match joins them in the order they were written:
 *
 * - Appending a segment merges its first run (per seat) into the log's last run when the intent is
 *   the same, and its first idle span into the log's last span when both are at the same step. A
 *   recorder never leaves two neighbouring runs of one intent nor two idle spans at one step, so the
 *   joined log is exactly the one recorded without a cut.
 * - Each segment belongs at its `from`. One that starts before the end so far (a save whose reply
 *   was lost, retried from the same mark: a duplicate or a longer overlapping segment) replaces
 *   everything from there on: the log is first cut back to that position.
 * - One that starts after the end so far leaves a gap: the log cannot be rebuilt.
 */

/** True for a well-formed segment (from JSON): valid runs and spans, and positions that add up. */
export function isLogSegment(value: unknown): value is LogSegment {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Record<keyof LogSegment, unknown>>;
  if (!isCount(s.from) || !isCount(s.to) || !isCount(s.steps)) return false;
  if (!Array.isArray(s.runs) || s.runs.length !== 2 || !Array.isArray(s.idle)) return false;
  for (const runs of s.runs as unknown[]) if (runsTotal(runs) !== s.steps) return false;
  const idle = s.idle as unknown[];
  if (idle.length % 2 !== 0) return false;
  let ticks = 0;
  for (let i = 0; i < idle.length; i += 2) {
    const step = idle[i];
    const n = idle[i + 1];
    if (!isCount(step) || !isCount(n) || n < 1) return false;
    if (i > 0 && step <= (idle[i - 2] as number)) return false;
    ticks += n;
  }
  return s.to - s.from === s.steps + ticks;
}

/**
 * Appends `segment` to `log` (in place), which must end at the segment's start: the runs and idle
 * spans that continue across the cut are merged. Throws when the segment's idle spans do not fall
 * within its steps from the log's end.
 */
export function appendSegment(log: InputLog, segment: LogSegment): void {
  const first = segment.idle[0];
  const last = segment.idle[segment.idle.length - 2];
  if (first !== undefined && (first < log.steps || (last as number) > log.steps + segment.steps)) {
    throw new Error('log segment: idle spans outside its steps');
  }
  appendPairs(log.runs[0], segment.runs[0]);
  appendPairs(log.runs[1], segment.runs[1]);
  appendPairs(log.idle, segment.idle);
  log.steps += segment.steps;
}

/**
 * Joins segments in the order they were written into the log they were cut from, or null when they
 * do not make one whole log that ends exactly at `end` (a gap, a malformed segment, a chain that
 * stops short or runs past: never a wrong log).
 */
export function joinSegments(segments: readonly LogSegment[], end: number): InputLog | null {
  const log: InputLog = { steps: 0, runs: [[], []], idle: [] };
  let position = 0;
  try {
    for (const segment of segments) {
      if (!isLogSegment(segment) || segment.from > position) return null;
      if (segment.from < position) cutBack(log, position, segment.from);
      appendSegment(log, segment);
      position = segment.to;
    }
  } catch {
    return null;
  }
  return position === end && logPosition(log) === end ? log : null;
}

/**
 * Cuts `log` (at `position`) back to what it was at `to`, in place, from its end: steps after the
 * last idle span go first, then that span's ticks, and so on.
 */
function cutBack(log: InputLog, position: number, to: number): void {
  let excess = position - to;
  while (excess > 0) {
    const n = log.idle.length;
    const spanStep = n > 0 ? (log.idle[n - 2] as number) : 0;
    const trailingSteps = log.steps - spanStep;
    if (trailingSteps > 0) {
      const cut = Math.min(excess, trailingSteps);
      dropSteps(log, cut);
      excess -= cut;
    } else if (n > 0) {
      const ticks = log.idle[n - 1] as number;
      const cut = Math.min(excess, ticks);
      if (cut === ticks) log.idle.length = n - 2;
      else log.idle[n - 1] = ticks - cut;
      excess -= cut;
    } else {
      throw new Error('log segment: cut before the start of the log');
    }
  }
}

/** Removes the last `count` steps from both seats' runs. */
function dropSteps(log: InputLog, count: number): void {
  log.steps -= count;
  for (const runs of log.runs) {
    let left = count;
    while (left > 0) {
      const n = runs.length;
      const last = runs[n - 1];
      if (last === undefined) throw new Error('log segment: runs shorter than the steps');
      if (last <= left) {
        runs.length = n - 2;
        left -= last;
      } else {
        runs[n - 1] = last - left;
        left = 0;
      }
    }
  }
}

/** Appends pairs [key, count, ...]; the first merges into the last one there when the keys match. */
function appendPairs(into: number[], pairs: readonly number[]): void {
  let i = 0;
  const n = into.length;
  if (n > 0 && pairs.length > 0 && into[n - 2] === pairs[0]) {
    into[n - 1] = (into[n - 1] as number) + (pairs[1] as number);
    i = 2;
  }
  for (; i < pairs.length; i += 1) into.push(pairs[i] as number);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The steps a seat's runs cover, or -1 when they are not pairs of an intent and a count of 1 or more. */
function runsTotal(runs: unknown): number {
  if (!Array.isArray(runs) || runs.length % 2 !== 0) return -1;
  let total = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const intent: unknown = runs[i];
    const count: unknown = runs[i + 1];
    if (intent !== -1 && intent !== 0 && intent !== 1) return -1;
    if (!isCount(count) || count < 1) return -1;
    total += count;
  }
  return total;
}
