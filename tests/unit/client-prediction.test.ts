import { describe, expect, it } from 'vitest';
import {
  MAX_CATCH_UP_TICKS,
  PaddlePredictor,
  TICKS_PER_INPUT_MESSAGE,
} from '../../client/src/net/prediction.ts';
import { PADDLE_SPEED_PX_PER_S } from '../../shared/constants.ts';
import type { InputMessage } from '../../shared/protocol/schemas.ts';
import type { Intent } from '../../shared/sim/types.ts';
import { MID_Y, rulesAt } from './support/sim.ts';

const RULES = rulesAt(60);
const TICK_MS = 1000 / RULES.tickHz;
/** How far one tick of intent ±1 moves a paddle. */
const STEP_PX = PADDLE_SPEED_PX_PER_S / RULES.tickHz;
const T0 = 10_000;

/** A predictor whose clock is driven by hand: `at(k)` is the local time of its k-th tick. */
function predictor(startY = MID_Y) {
  const sent: InputMessage[] = [];
  const p = new PaddlePredictor(RULES, startY, (msg) => sent.push(msg));
  // The first update only places the tick boundaries; tick k then falls due at T0 + k ticks.
  expect(p.update(T0, 0)).toBe(0);
  // The paddle only moves once a snapshot says the match is running.
  p.reconcile(startY, 0, true);
  let tick = 0;
  const run = (intent: Intent, ticks = 1) => {
    for (let i = 0; i < ticks; i += 1) {
      tick += 1;
      expect(p.update(T0 + tick * TICK_MS, intent)).toBe(1);
    }
  };
  return { p, sent, run, at: (k: number) => T0 + k * TICK_MS, ticksSoFar: () => tick };
}

describe('PaddlePredictor: ticks and messages', () => {
  it('numbers the first tick 1 and moves the paddle in the frame that read the intent', () => {
    const { p, sent, run } = predictor();
    expect(p.lastSeq).toBe(0);
    run(1);
    expect(p.lastSeq).toBe(1);
    expect(p.y).toBeCloseTo(MID_Y + STEP_PX, 9);
    // A change of intent goes out at once, covering its one tick.
    expect(sent).toEqual([[1, 1, 1]]);
  });

  it('sends a held intent every few ticks and a change at once, with runs that cover every tick', () => {
    const { sent, run } = predictor();
    run(0, 7);
    run(-1, 2);
    expect(sent).toEqual([
      [1, 0, 1],
      [1 + TICKS_PER_INPUT_MESSAGE, 0, TICKS_PER_INPUT_MESSAGE],
      [1 + 2 * TICKS_PER_INPUT_MESSAGE, 0, TICKS_PER_INPUT_MESSAGE],
      [8, -1, 1],
    ]);
    // The runs tile the sequence: each message starts right after the previous one ended.
    let covered = 0;
    for (const [seq, , ticks] of sent) {
      expect(seq - ticks).toBe(covered);
      covered = seq;
    }
  });
});

describe('PaddlePredictor: reconciliation', () => {
  it('resets to the server paddle after an ack and replays the unacknowledged ticks in order', () => {
    const { p, run } = predictor();
    run(1, 3); // ticks 1..3 down
    run(-1, 2); // ticks 4..5 up
    run(1, 1); // tick 6 down
    expect(p.y).toBeCloseTo(MID_Y + 2 * STEP_PX, 9);

    // The server applied ticks 1..3 exactly as predicted: the replay lands where the client is.
    p.reconcile(MID_Y + 3 * STEP_PX, 3, true);
    expect(p.y).toBeCloseTo(MID_Y + 2 * STEP_PX, 9);
    expect(p.lastCorrectionPx).toBeLessThan(0.01);
    expect(p.corrections).toBe(0);

    // The server's paddle is 5 px off after tick 5: the client takes it and replays tick 6 on top.
    const serverY = MID_Y + STEP_PX + 5;
    p.reconcile(serverY, 5, true);
    expect(p.y).toBeCloseTo(serverY + STEP_PX, 9);
    expect(p.lastCorrectionPx).toBeCloseTo(5, 9);
    expect(p.corrections).toBe(1);

    // An ack of everything sent leaves nothing to replay: the paddle is the server's.
    p.reconcile(MID_Y + 17, 6, true);
    expect(p.y).toBe(MID_Y + 17);
  });

  it('an older ack arriving again replays nothing twice', () => {
    const { p, run } = predictor();
    run(1, 4);
    p.reconcile(MID_Y + 4 * STEP_PX, 4, true);
    // A late duplicate of an earlier snapshot: the acked ticks are gone, so only the server's y counts.
    p.reconcile(MID_Y + 2 * STEP_PX, 2, true);
    expect(p.y).toBeCloseTo(MID_Y + 2 * STEP_PX, 9);
  });

  it('does not move the paddle while the match is not running, and replays nothing then', () => {
    const { p, run } = predictor();
    p.reconcile(MID_Y, 0, false);
    run(1, 5);
    expect(p.y).toBe(MID_Y);
    p.reconcile(MID_Y + 3, 2, false);
    expect(p.y).toBe(MID_Y + 3);
  });
});

describe('PaddlePredictor: 16-bit acks', () => {
  /** Runs idle ticks up to `seq`, acknowledging as the server would (the ack is sent mod 2^16). */
  function upTo(seq: number) {
    const h = predictor();
    while (h.p.lastSeq < seq) {
      h.run(0, Math.min(100, seq - h.p.lastSeq));
      h.p.reconcile(MID_Y, h.p.lastSeq & 0xffff, true);
    }
    expect(h.p.lastSeq).toBe(seq);
    expect(h.p.y).toBe(MID_Y);
    expect(h.p.corrections).toBe(0);
    return h;
  }

  it('unwraps an ack that crossed 2^16 against the local sequence', () => {
    const { p, run } = upTo(65_534);
    run(1, 6); // ticks 65535..65540: the wire values wrap to 65535, 0, 1, 2, 3, 4
    const acked = 65_537; // wire 1
    p.reconcile(MID_Y + 3 * STEP_PX, acked & 0xffff, true);
    // Ticks 65538..65540 replayed; a literal ack of 1 would have replayed all six.
    expect(p.y).toBeCloseTo(MID_Y + 6 * STEP_PX, 9);
    expect(p.corrections).toBe(0);
  });

  it('an ack from just before the wrap is still behind a local sequence past it', () => {
    const { p, run } = upTo(65_530);
    run(1, 8); // ticks 65531..65538
    p.reconcile(MID_Y + 5 * STEP_PX, 65_535, true);
    // Ticks 65536..65538 replayed; an ack read as 65535 + 2^16 would have replayed none.
    expect(p.y).toBeCloseTo(MID_Y + 8 * STEP_PX, 9);
    expect(p.corrections).toBe(0);
  });
});

describe('PaddlePredictor: catching up after a stall', () => {
  it('runs every tick a late frame owes, up to the cap', () => {
    const { p, at } = predictor();
    expect(p.update(at(4), 1)).toBe(4);
    expect(p.lastSeq).toBe(4);
    expect(p.y).toBeCloseTo(MID_Y + 4 * STEP_PX, 9);
  });

  it('after a long stall runs at most MAX_CATCH_UP_TICKS and forgets the rest', () => {
    const { p, sent, at } = predictor();
    expect(p.update(at(100), -1)).toBe(MAX_CATCH_UP_TICKS);
    expect(p.lastSeq).toBe(MAX_CATCH_UP_TICKS);
    expect(p.y).toBeCloseTo(MID_Y - MAX_CATCH_UP_TICKS * STEP_PX, 9);
    // The skipped ticks are not owed later: the next frame runs one tick, not the 90 skipped.
    expect(p.update(at(101), -1)).toBe(1);
    expect(p.lastSeq).toBe(MAX_CATCH_UP_TICKS + 1);
    // Sequence numbers stay contiguous, so the server never waits for a tick that was skipped.
    const covered = sent.reduce((n, [, , ticks]) => n + ticks, 0);
    expect(covered).toBe(sent.at(-1)?.[0]);
  });

  it('a frame that comes early runs no tick and a clock going back runs none either', () => {
    const { p, at, run } = predictor();
    run(0, 2);
    expect(p.update(at(2) + TICK_MS / 3, 1)).toBe(0);
    expect(p.update(at(1), 1)).toBe(0);
    expect(p.update(at(3), 1)).toBe(1);
    expect(p.lastSeq).toBe(3);
  });
});
