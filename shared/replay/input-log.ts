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
 * Builds an InputLog while a match plays. Call `record()` once per `step()` call with the exact
 * intents passed to it, and `idle()` once per room tick of a live match that did not call `step()`.
 * Appending is O(1) and allocates only when an intent changes.
 */
export class InputRecorder {
  private stepCount = 0;
  private readonly runs: [number[], number[]] = [[], []];
  private readonly idleSpans: number[] = [];

  /** Goes on recording a log made elsewhere (a match resumed on another node from its checkpoint). */
  static resume(log: InputLog): InputRecorder {
    const r = new InputRecorder();
    r.stepCount = log.steps;
    r.runs[0].push(...log.runs[0]);
    r.runs[1].push(...log.runs[1]);
    r.idleSpans.push(...log.idle);
    return r;
  }

  get steps(): number {
    return this.stepCount;
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
