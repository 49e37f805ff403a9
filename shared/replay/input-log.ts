import type { Intent } from '../sim/types.ts';

/**
 * Everything a match's players did, as the simulation saw it: one entry per `step()` call.
 * Each seat's intents are kept as runs (a held key is one run however long it is held), and the
 * room ticks on which a live match was not stepped (paused for a dropped player, or the resume
 * countdown after a reconnection) are kept as idle spans so a viewer can show the pause; idle
 * spans never change the state.
 */
export interface InputLog {
  /** How many times `step()` was called. */
  steps: number;
  /** Per seat (left, right): flat pairs [intent, count, intent, count, ...] whose counts add up to `steps`. */
  runs: [number[], number[]];
  /** Flat pairs [step, ticks, ...]: `ticks` room ticks without a step happened after `step` steps. */
  idle: number[];
}

/** How a match ended when it did not end on points: the seat that forfeited and the steps played by then. */
export interface Forfeit {
  seat: 0 | 1;
  atStep: number;
}

/**
 * Where a recorder was at some moment, so `since()` can hand over only what came after (a
 * checkpoint saves the log in pieces). Plain data; meaningful only to the recorder that made it.
 */
export interface LogMark {
  /** The recorder's position then: steps plus idle ticks recorded. */
  position: number;
  steps: number;
  /** Per seat: the length of its runs array, and the count of its last run (it may grow later). */
  runLengths: [number, number];
  lastRunCounts: [number, number];
  /** The same for the idle spans. */
  idleLength: number;
  lastIdleTicks: number;
}

/**
 * What a recorder recorded between two positions (steps plus idle ticks: one per `record()` or
 * `idle()` call, so it only grows). Appending segments in order to the log at `from` gives the
 * recorder's log at `to` (log-segments.ts). Its first run or idle span may continue the one the
 * log ends with: appending merges them.
 */
export interface LogSegment {
  from: number;
  to: number;
  /** Steps recorded in the segment; its runs' counts add up to it. */
  steps: number;
  runs: [number[], number[]];
  /** Idle spans [step, ticks, ...], with the step counted from the start of the match. */
  idle: number[];
}

/** The mark of an empty recorder: `since(START_MARK)` is the whole log. */
export const START_MARK: Readonly<LogMark> = {
  position: 0,
  steps: 0,
  runLengths: [0, 0],
  lastRunCounts: [0, 0],
  idleLength: 0,
  lastIdleTicks: 0,
};

/** Steps plus idle ticks: the position a recorder is at once it has recorded `log`. */
export function logPosition(log: InputLog): number {
  let ticks = 0;
  for (let i = 1; i < log.idle.length; i += 2) ticks += log.idle[i] as number;
  return log.steps + ticks;
}

/**
 * Builds an InputLog while a match plays. Call `record()` once per `step()` call with the exact
 * intents passed to it, and `idle()` once per room tick of a live match that did not call `step()`.
 * Appending is O(1) and allocates only when an intent changes.
 */
export class InputRecorder {
  private stepCount = 0;
  private idleTicks = 0;
  private readonly runs: [number[], number[]] = [[], []];
  private readonly idleSpans: number[] = [];

  /** Goes on recording a log made elsewhere (a match resumed on another node from its checkpoint). */
  static resume(log: InputLog): InputRecorder {
    const r = new InputRecorder();
    r.stepCount = log.steps;
    r.idleTicks = logPosition(log) - log.steps;
    r.runs[0].push(...log.runs[0]);
    r.runs[1].push(...log.runs[1]);
    r.idleSpans.push(...log.idle);
    return r;
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Steps plus idle ticks recorded: one more per `record()` or `idle()` call. */
  get position(): number {
    return this.stepCount + this.idleTicks;
  }

  record(left: Intent, right: Intent): void {
    appendRun(this.runs[0], left);
    appendRun(this.runs[1], right);
    this.stepCount += 1;
  }

  idle(): void {
    const spans = this.idleSpans;
    const n = spans.length;
    if (n > 0 && spans[n - 2] === this.stepCount) spans[n - 1] = (spans[n - 1] as number) + 1;
    else spans.push(this.stepCount, 1);
    this.idleTicks += 1;
  }

  /** Where the recorder is now; `since()` takes it. O(1). */
  mark(): LogMark {
    const [l, r] = this.runs;
    const spans = this.idleSpans;
    return {
      position: this.position,
      steps: this.stepCount,
      runLengths: [l.length, r.length],
      lastRunCounts: [l[l.length - 1] ?? 0, r[r.length - 1] ?? 0],
      idleLength: spans.length,
      lastIdleTicks: spans[spans.length - 1] ?? 0,
    };
  }

  /** What was recorded after `mark` (a copy): costs what was recorded since, not the whole log. */
  since(mark: Readonly<LogMark>): LogSegment {
    return {
      from: mark.position,
      to: this.position,
      steps: this.stepCount - mark.steps,
      runs: [
        pairsSince(this.runs[0], mark.runLengths[0], mark.lastRunCounts[0]),
        pairsSince(this.runs[1], mark.runLengths[1], mark.lastRunCounts[1]),
      ],
      idle: pairsSince(this.idleSpans, mark.idleLength, mark.lastIdleTicks),
    };
  }

  /** A copy of the log so far; the recorder can keep recording. */
  log(): InputLog {
    return {
      steps: this.stepCount,
      runs: [this.runs[0].slice(), this.runs[1].slice()],
      idle: this.idleSpans.slice(),
    };
  }
}

/**
 * The pairs [key, count, ...] added after the array had `length` numbers and its last count was
 * `lastCount`: the growth of that last pair (same key), then the new pairs.
 */
function pairsSince(pairs: readonly number[], length: number, lastCount: number): number[] {
  const out: number[] = [];
  if (length > 0) {
    const grown = (pairs[length - 1] as number) - lastCount;
    if (grown > 0) out.push(pairs[length - 2] as number, grown);
  }
  for (let i = length; i < pairs.length; i += 1) out.push(pairs[i] as number);
  return out;
}

function appendRun(runs: number[], intent: Intent): void {
  const n = runs.length;
  if (n > 0 && runs[n - 2] === intent) runs[n - 1] = (runs[n - 1] as number) + 1;
  else runs.push(intent, 1);
}

/** Calls `visit(left, right)` for each step of the log, in order. */
export function forEachStep(log: InputLog, visit: (left: Intent, right: Intent) => void): void {
  const [l, r] = log.runs;
  let li = 0;
  let ri = 0;
  let lLeft = l[1] ?? 0;
  let rLeft = r[1] ?? 0;
  for (let s = 0; s < log.steps; s += 1) {
    while (lLeft === 0) {
      li += 2;
      lLeft = l[li + 1] ?? 0;
      if (li >= l.length) throw new Error('input log: left runs are shorter than its steps');
    }
    while (rLeft === 0) {
      ri += 2;
      rLeft = r[ri + 1] ?? 0;
      if (ri >= r.length) throw new Error('input log: right runs are shorter than its steps');
    }
    visit(l[li] as Intent, r[ri] as Intent);
    lLeft -= 1;
    rLeft -= 1;
  }
}
