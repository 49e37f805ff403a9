import { decodeSnapshot, type Snapshot } from '../../shared/codec/snapshot.ts';
import type { InputMessage } from '../../shared/protocol/schemas.ts';
import type { Intent } from '../../shared/sim/types.ts';
import type { GameClient } from './client.ts';

/** Client ticks covered by one input message: the server sends a snapshot every 2 ticks at 60/30 Hz. */
export const BOT_TICKS_PER_MESSAGE = 2;

export interface PlayerBotOptions {
  /** The intent to hold, or a policy that picks one from the latest snapshot. */
  intent?: Intent | ((s: Snapshot) => Intent);
  /** Sequence number of the tick before the first one sent. */
  startSeq?: number;
}

/**
 * Sends inputs the way the real client does (`[seq, intent, ticks]`, each message covering the
 * ticks since the last one), but paced by received snapshots instead of a timer, so a test never
 * depends on wall-clock timing: each snapshot is answered with the next BOT_TICKS_PER_MESSAGE ticks.
 */
export class PlayerBot {
  /** Sequence number of the last tick sent. */
  seq: number;
  /** Messages sent so far. */
  sent = 0;
  private readonly policy: (s: Snapshot) => Intent;
  private running = false;
  private readonly onSnapshot = (bytes: Uint8Array) => {
    this.send(this.policy(decodeSnapshot(bytes)));
  };

  constructor(
    readonly client: GameClient,
    opts: PlayerBotOptions = {},
  ) {
    const intent = opts.intent ?? 0;
    this.policy = typeof intent === 'function' ? intent : () => intent;
    this.seq = opts.startSeq ?? 0;
  }

  start(): this {
    if (!this.running) this.client.on('snapshot', this.onSnapshot);
    this.running = true;
    return this;
  }

  stop(): void {
    this.client.off('snapshot', this.onSnapshot);
    this.running = false;
  }

  /** Sends the next message by hand (the bot need not be running). */
  send(intent: Intent): InputMessage {
    this.seq += BOT_TICKS_PER_MESSAGE;
    const msg: InputMessage = [this.seq, intent, BOT_TICKS_PER_MESSAGE];
    this.client.emit('input', msg);
    this.sent += 1;
    return msg;
  }
}
