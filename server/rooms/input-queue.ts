import type { Intent } from '../../shared/sim/types.ts';

/** Ticks of input a seat may have queued; older ones are dropped so lag cannot pile up. */
export const MAX_QUEUED_TICKS = 12;
/** A queue that held more than this many ticks on every tick of a window carries lag it can shed. */
export const SLACK_TICKS = 2;
/** The window over which spare lag is measured: one second at 60 Hz. */
export const SLACK_WINDOW_TICKS = 60;

/** Runs a queue can hold: each holds at least one tick, and at most MAX_QUEUED_TICKS + 1 are queued. */
const RUN_CAPACITY = 32;

/**
 * One seat's inputs: runs of per-tick intents, consumed one tick per server tick, in order.
 * The server never guesses: when a client's tick has not arrived, the paddle stands still and
 * nothing is acknowledged, so the ack always names exactly the ticks that moved the paddle and
 * the client's prediction replays without a correction. Jitter then leaves the queue a little
 * deeper; that spare lag is shed by skipping an idle tick (intent 0, which moves nothing on
 * either side) once the queue has stayed above SLACK_TICKS for a whole window.
 *
 * The runs live in a fixed ring of typed arrays: a push (40 a second per room) allocates nothing.
 */
export class InputQueue {
  private readonly intents = new Int8Array(RUN_CAPACITY);
  private readonly ticksLeft = new Int32Array(RUN_CAPACITY);
  /** Sequence number of each run's last tick. */
  private readonly lastSeqs = new Float64Array(RUN_CAPACITY);
  private head = 0;
  private count = 0;
  private queued = 0;
  private received = 0;
  private windowTicks = 0;
  private windowMin = Infinity;
  private spare = false;
  /** Sequence of the last tick applied (or skipped): the snapshot's ack for this seat. */
  ack = 0;
  /** Ticks thrown away: stale, duplicate, or beyond MAX_QUEUED_TICKS. */
  dropped = 0;
  /** Idle ticks skipped to shed spare lag. */
  shed = 0;

  /** Adds `ticks` ticks of `intent` ending at `seq`; returns false when the message was stale. */
  push(seq: number, intent: Intent, ticks: number): boolean {
    if (seq <= this.received) {
      this.dropped += ticks;
      return false;
    }
    const n = Math.min(ticks, seq - this.received);
    this.received = seq;
    if (n < 1) return true;
    // Every run holds a tick and at most MAX_QUEUED_TICKS stay queued, so the ring never fills.
    const slot = (this.head + this.count) % RUN_CAPACITY;
    this.intents[slot] = intent;
    this.ticksLeft[slot] = n;
    this.lastSeqs[slot] = seq;
    this.count += 1;
    this.queued += n;
    while (this.queued > MAX_QUEUED_TICKS) {
      this.takeOne();
      this.dropped += 1;
    }
    return true;
  }

  /** The intent to apply this tick (0 when the client's tick has not arrived yet). */
  next(): Intent {
    this.windowMin = Math.min(this.windowMin, this.queued);
    this.windowTicks += 1;
    if (this.windowTicks >= SLACK_WINDOW_TICKS) {
      this.spare = this.windowMin > SLACK_TICKS;
      this.windowTicks = 0;
      this.windowMin = Infinity;
    }
    if (this.spare && this.queued > 1 && this.count > 0 && this.intents[this.head] === 0) {
      this.takeOne();
      this.shed += 1;
      this.spare = false;
    }
    return this.queued > 0 ? this.takeOne() : 0;
  }

  /** Consumes queued ticks without moving anything (while the match is not running). */
  drain(): void {
    while (this.queued > 0) this.takeOne();
  }

  private takeOne(): Intent {
    const h = this.head;
    const left = this.ticksLeft[h] as number;
    this.ack = (this.lastSeqs[h] as number) - left + 1;
    this.ticksLeft[h] = left - 1;
    this.queued -= 1;
    if (left === 1) {
      this.head = (h + 1) % RUN_CAPACITY;
      this.count -= 1;
    }
    return this.intents[h] as Intent;
  }
}
