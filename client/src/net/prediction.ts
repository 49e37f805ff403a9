import { unwrap } from '../../../shared/codec/snapshot.ts';
import type { InputMessage } from '../../../shared/protocol/schemas.ts';
import { movePaddle } from '../../../shared/sim/step.ts';
import type { Intent, Rules } from '../../../shared/sim/types.ts';

/** Ticks per input message when the intent does not change: 3 ticks at 60 Hz = 20 messages/s. */
export const TICKS_PER_INPUT_MESSAGE = 3;
/** After a stall (hidden tab) the client does not invent more than this many ticks at once. */
export const MAX_CATCH_UP_TICKS = 10;

interface PendingTick {
  seq: number;
  intent: Intent;
}

/**
 * Own-paddle prediction with server reconciliation. The client runs the same fixed ticks as the
 * server: every tick samples the intent, moves the paddle at once with the shared movePaddle, and
 * is queued for sending as runs `[lastSeq, intent, ticks]`. Each snapshot says which tick the server
 * applied last (ack): the paddle is reset to the server's and the unacknowledged ticks replayed.
 */
export class PaddlePredictor {
  private readonly tickMs: number;
  private accumulatorStart: number | null = null;
  private ticksRun = 0;
  private seq = 0;
  private pending: PendingTick[] = [];
  private run: { intent: Intent; ticks: number } | null = null;
  private lastIntent: Intent | null = null;
  y: number;
  movable = false;
  /** Size of the last correction, px (0 when the replay matched the prediction). */
  lastCorrectionPx = 0;
  corrections = 0;

  constructor(
    private readonly rules: Rules,
    startY: number,
    private readonly send: (msg: InputMessage) => void,
  ) {
    this.tickMs = 1000 / rules.tickHz;
    this.y = startY;
  }

  /** Runs every tick due at `nowMs` with the current intent; returns the ticks run. */
  update(nowMs: number, intent: Intent): number {
    if (this.accumulatorStart === null) {
      // Tick boundaries half a tick away from frame times: a frame that comes a few ms early or
      // late still runs exactly one tick, so the intent it read moves the paddle in that frame.
      this.accumulatorStart = nowMs - this.tickMs / 2;
      return 0;
    }
    let due = Math.floor((nowMs - this.accumulatorStart) / this.tickMs) - this.ticksRun;
    if (due > MAX_CATCH_UP_TICKS) {
      this.ticksRun += due - MAX_CATCH_UP_TICKS;
      due = MAX_CATCH_UP_TICKS;
    }
    for (let i = 0; i < due; i += 1) this.tickOnce(intent);
    this.ticksRun += Math.max(0, due);
    return Math.max(0, due);
  }

  private tickOnce(intent: Intent): void {
    this.seq += 1;
    this.pending.push({ seq: this.seq, intent });
    if (this.movable) this.y = movePaddle(this.y, intent, this.rules);
    const changed = this.lastIntent !== intent;
    this.lastIntent = intent;
    if (this.run && changed) this.sendRun(this.seq - 1);
    if (this.run) this.run.ticks += 1;
    else this.run = { intent, ticks: 1 };
    // A change of intent goes out at once; a held one every few ticks.
    if (changed || this.run.ticks >= TICKS_PER_INPUT_MESSAGE) this.sendRun(this.seq);
  }

  private sendRun(lastSeq: number): void {
    if (!this.run) return;
    this.send([lastSeq, this.run.intent, this.run.ticks]);
    this.run = null;
  }

  /** Applies an authoritative snapshot: server paddle `serverY` after the tick numbered `ackWire`. */
  reconcile(serverY: number, ackWire: number, movable: boolean): void {
    this.movable = movable;
    const ack = unwrap(ackWire, this.seq, 16);
    while (this.pending.length > 0 && (this.pending[0] as PendingTick).seq <= ack) this.pending.shift();
    let y = serverY;
    if (movable) for (const p of this.pending) y = movePaddle(y, p.intent, this.rules);
    this.lastCorrectionPx = Math.abs(y - this.y);
    if (this.lastCorrectionPx > 0.01) this.corrections += 1;
    this.y = y;
  }

  get lastSeq(): number {
    return this.seq;
  }
}
