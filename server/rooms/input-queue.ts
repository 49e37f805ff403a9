import type { Intent } from '../../shared/sim/types.ts';

/** Ticks of input a seat may have queued; older ones are dropped so lag cannot pile up. */
export const MAX_QUEUED_TICKS = 12;
/** Ticks the server keeps repeating the last intent when a client's input is late. */
export const MAX_IMPROVISED_TICKS = 8;

interface Run {
  intent: Intent;
  ticks: number;
  /** Sequence number of the run's last tick. */
  lastSeq: number;
}

/**
 * One seat's inputs: runs of per-tick intents, consumed one tick per server tick. When the queue
 * runs dry the last intent is repeated for a few ticks and those ticks are "owed": the client's own
 * input for them is skipped when it arrives, so the acknowledged sequence always names exactly the
 * ticks that moved the paddle and the client's prediction replays without correction.
 */
export class InputQueue {
  private runs: Run[] = [];
  private queued = 0;
  private received = 0;
  private owed = 0;
  private held: Intent = 0;
  /** Sequence of the last tick applied (or improvised): the snapshot's ack for this seat. */
  ack = 0;
  dropped = 0;

  /** Adds `ticks` ticks of `intent` ending at `seq`; returns false when the message was stale. */
  push(seq: number, intent: Intent, ticks: number): boolean {
    if (seq <= this.received) {
      this.dropped += ticks;
      return false;
    }
    let n = Math.min(ticks, seq - this.received);
    this.received = seq;
    const skip = Math.min(this.owed, n);
    this.owed -= skip;
    n -= skip;
    // Owed ticks are not replayed, but their intent is the newest known: keep improvising with it,
    // else a client that sends exactly in step never repays the debt and its paddle never turns.
    if (skip > 0) this.held = intent;
    if (n > 0) {
      this.runs.push({ intent, ticks: n, lastSeq: seq });
      this.queued += n;
    }
    while (this.queued > MAX_QUEUED_TICKS) this.takeOne();
    return true;
  }

  /** The intent to apply this tick. */
  next(): Intent {
    if (this.queued > 0) return this.takeOne();
    if (this.owed < MAX_IMPROVISED_TICKS) {
      this.owed += 1;
      this.ack = this.received + this.owed;
      return this.held;
    }
    return 0;
  }

  /** Consumes queued ticks without moving anything (while the match is not running). */
  drain(): void {
    while (this.queued > 0) this.takeOne();
  }

  private takeOne(): Intent {
    const run = this.runs[0] as Run;
    this.ack = run.lastSeq - run.ticks + 1;
    this.held = run.intent;
    run.ticks -= 1;
    this.queued -= 1;
    if (run.ticks === 0) this.runs.shift();
    return run.intent;
  }
}
