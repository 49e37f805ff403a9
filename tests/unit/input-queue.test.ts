import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InputQueue,
  MAX_QUEUED_TICKS,
  SLACK_TICKS,
  SLACK_WINDOW_TICKS,
} from '../../server/rooms/input-queue.ts';
import { movePaddle } from '../../shared/sim/step.ts';
import type { Intent } from '../../shared/sim/types.ts';
import { MID_Y, rulesAt } from './support/sim.ts';

const RULES = rulesAt(60);
const intentArb = fc.constantFrom<Intent>(-1, 0, 1);

/** Calls next() n times and returns what each call applied and acknowledged. */
function take(q: InputQueue, n: number): { intent: Intent; ack: number }[] {
  return Array.from({ length: n }, () => {
    const intent = q.next();
    return { intent, ack: q.ack };
  });
}

/** Ticks still queued: a non-empty queue ends at the highest seq received, one tick per next(). */
function queuedTicks(q: InputQueue, highestSeq: number): number {
  let n = 0;
  while (q.ack < highestSeq && n <= 1000) {
    q.next();
    n += 1;
  }
  return n;
}

describe('InputQueue: in-order consumption', () => {
  it('applies ticks in order, one per next(), acknowledging each tick', () => {
    const q = new InputQueue();
    expect(q.push(3, 1, 3)).toBe(true);
    expect(q.push(5, -1, 2)).toBe(true);
    expect(q.push(6, 0, 1)).toBe(true);
    expect(take(q, 6)).toEqual([
      { intent: 1, ack: 1 },
      { intent: 1, ack: 2 },
      { intent: 1, ack: 3 },
      { intent: -1, ack: 4 },
      { intent: -1, ack: 5 },
      { intent: 0, ack: 6 },
    ]);
  });

  it('acknowledges exactly the ticks of any batching of the same per-tick intents', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(intentArb, fc.integer({ min: 1, max: MAX_QUEUED_TICKS })), {
          minLength: 1,
          maxLength: 10,
        }),
        (runs) => {
          const q = new InputQueue();
          const perTick: Intent[] = [];
          for (const [intent, ticks] of runs) {
            for (let i = 0; i < ticks; i += 1) perTick.push(intent);
            q.push(perTick.length, intent, ticks);
            // Consume as we go so the queue never overflows.
            for (const { intent: applied, ack } of take(q, ticks)) expect(applied).toBe(perTick[ack - 1]);
          }
          expect(q.ack).toBe(perTick.length);
          expect(q.dropped).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('InputQueue: stale and duplicate input', () => {
  it('drops a duplicate or older message and counts its ticks', () => {
    const q = new InputQueue();
    expect(q.push(5, 1, 5)).toBe(true);
    expect(q.push(5, 1, 5)).toBe(false);
    expect(q.push(3, -1, 2)).toBe(false);
    expect(q.dropped).toBe(7);
    expect(take(q, 5).map((t) => t.intent)).toEqual([1, 1, 1, 1, 1]);
    expect(q.ack).toBe(5);
  });

  it('keeps only the new ticks of a message that overlaps ticks already received', () => {
    const q = new InputQueue();
    q.push(5, 1, 5);
    expect(q.push(8, -1, 5)).toBe(true);
    expect(take(q, 8)).toEqual([1, 1, 1, 1, 1, -1, -1, -1].map((intent, i) => ({ intent, ack: i + 1 })));
  });

  it('drops seq 0 (sequences start at 1)', () => {
    const q = new InputQueue();
    expect(q.push(0, 1, 1)).toBe(false);
  });
});

describe('InputQueue: late input', () => {
  it('stands still and acknowledges nothing while the next tick has not arrived', () => {
    const q = new InputQueue();
    expect(take(q, 5)).toEqual(Array(5).fill({ intent: 0, ack: 0 }));
    q.push(2, -1, 2);
    take(q, 2);
    expect(take(q, 4)).toEqual(Array(4).fill({ intent: 0, ack: 2 }));
  });

  it('applies every tick of a late message in full, in order, when it arrives', () => {
    const q = new InputQueue();
    q.push(4, 1, 4);
    take(q, 4);
    take(q, 3); // the client's ticks 5..7 are late: the paddle waits for them
    expect(q.push(9, -1, 5)).toBe(true);
    expect(take(q, 5)).toEqual([5, 6, 7, 8, 9].map((ack) => ({ intent: -1, ack })));
  });

  it('drain() consumes queued ticks without moving, then takes new ticks as they come', () => {
    const q = new InputQueue();
    q.push(6, 1, 6);
    q.drain();
    expect(q.ack).toBe(6);
    expect(take(q, 1)).toEqual([{ intent: 0, ack: 6 }]);
    q.push(7, 1, 1);
    expect(take(q, 1)).toEqual([{ intent: 1, ack: 7 }]);
  });
});

describe('InputQueue: shedding spare lag', () => {
  /** Keeps `depth` ticks queued ahead of consumption for `ticks` ticks, all with `intent`. */
  function steady(q: InputQueue, depth: number, ticks: number, intent: Intent, from: number): number {
    let seq = from;
    q.push(seq + depth, intent, depth);
    seq += depth;
    for (let i = 0; i < ticks; i += 1) {
      q.next();
      seq += 1;
      q.push(seq, intent, 1);
    }
    return seq;
  }

  it(`skips one idle tick after a window (${SLACK_WINDOW_TICKS} ticks) that never fell to ${SLACK_TICKS} queued`, () => {
    const q = new InputQueue();
    steady(q, SLACK_TICKS + 3, SLACK_WINDOW_TICKS + 2, 0, 0);
    expect(q.shed).toBe(1);
  });

  it('never skips a tick that moves the paddle, however much lag is queued', () => {
    const q = new InputQueue();
    steady(q, SLACK_TICKS + 3, 3 * SLACK_WINDOW_TICKS, 1, 0);
    expect(q.shed).toBe(0);
  });

  it('sheds nothing while the queue keeps running low', () => {
    const q = new InputQueue();
    steady(q, 1, 3 * SLACK_WINDOW_TICKS, 0, 0);
    expect(q.shed).toBe(0);
  });
});

describe('InputQueue: capacity', () => {
  it(`keeps the newest MAX_QUEUED_TICKS (${MAX_QUEUED_TICKS}) ticks of a burst`, () => {
    const q = new InputQueue();
    q.push(30, 1, 30);
    const first = take(q, 1)[0];
    expect(first?.ack).toBe(30 - MAX_QUEUED_TICKS + 1);
    expect(queuedTicks(q, 30)).toBe(MAX_QUEUED_TICKS - 1);
  });

  it('never holds more than MAX_QUEUED_TICKS ticks, whatever the pushes and ticks', () => {
    type Op = { kind: 'push'; delta: number; intent: Intent; ticks: number } | { kind: 'next' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        delta: fc.integer({ min: -5, max: 30 }),
        intent: intentArb,
        ticks: fc.integer({ min: 1, max: 30 }),
      }),
      fc.constant({ kind: 'next' as const }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        for (let n = 0; n <= ops.length; n += 1) {
          const q = new InputQueue();
          let highest = 0;
          for (const op of ops.slice(0, n)) {
            if (op.kind === 'next') q.next();
            else {
              const seq = Math.max(1, highest + op.delta);
              q.push(seq, op.intent, op.ticks);
              highest = Math.max(highest, seq);
            }
          }
          expect(queuedTicks(q, highest)).toBeLessThanOrEqual(MAX_QUEUED_TICKS);
        }
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A predicting client and the server's queue over a laggy, ordered link.

interface Message {
  lastSeq: number;
  intent: Intent;
  ticks: number;
  deliverAt: number;
}

/** Splits per-tick intents into messages the way the client batches them. */
function batch(intents: readonly Intent[], maxTicks: number, latencies: readonly number[]): Message[] {
  const out: Message[] = [];
  let start = 0;
  for (let seq = 1; seq <= intents.length; seq += 1) {
    const last = seq === intents.length || intents[seq] !== intents[seq - 1] || seq - start >= maxTicks;
    if (!last) continue;
    const lat = latencies[out.length % Math.max(1, latencies.length)] ?? 0;
    // socket.io delivers in order: a message never overtakes the previous one.
    const deliverAt = Math.max(out[out.length - 1]?.deliverAt ?? 0, seq + lat);
    out.push({ lastSeq: seq, intent: intents[seq - 1] as Intent, ticks: seq - start, deliverAt });
    start = seq;
  }
  return out;
}

interface ServerTick {
  ack: number;
  intent: Intent;
  paddle: number;
}

/** Server tick j applies, after delivering everything due by j, one intent from the queue. */
function serve(messages: readonly Message[], ticks: number): ServerTick[] {
  const q = new InputQueue();
  const out: ServerTick[] = [];
  let paddle = MID_Y;
  let next = 0;
  for (let j = 1; j <= ticks; j += 1) {
    for (let m = messages[next]; m !== undefined && m.deliverAt <= j; m = messages[++next]) {
      q.push(m.lastSeq, m.intent, m.ticks);
    }
    const intent = q.next();
    paddle = movePaddle(paddle, intent, RULES);
    out.push({ ack: q.ack, intent, paddle });
  }
  return out;
}

/** The client's own prediction: paddle position after each of its ticks (index = seq). */
function predict(intents: readonly Intent[]): number[] {
  const ys = [MID_Y];
  for (const intent of intents) ys.push(movePaddle(ys[ys.length - 1] as number, intent, RULES));
  return ys;
}

describe('InputQueue with a predicting client', () => {
  it('a stall makes the paddle wait, never guess: every ack matches the prediction', () => {
    const intents: Intent[] = [...Array<Intent>(5).fill(1), ...Array<Intent>(25).fill(-1)];
    const messages = batch(intents, 1, [0]);
    // Ticks 6..11 arrive 6 ticks late (together with 12), right across a change of intent.
    for (const m of messages) if (m.lastSeq >= 6 && m.lastSeq <= 12) m.deliverAt = 12;
    const server = serve(messages, 40);
    const predicted = predict(intents);
    for (const t of server) expect(t.paddle).toBe(predicted[t.ack]);
    expect(server.at(-1)?.ack).toBe(30);
  });

  it('over random lag and batching, the server paddle equals the client prediction at every ack', () => {
    // Lag up to 8 ticks plus a 3-tick batch stays within MAX_QUEUED_TICKS: nothing is dropped.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(intentArb, fc.integer({ min: 1, max: 25 })), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: MAX_QUEUED_TICKS - 4 }), { minLength: 1, maxLength: 20 }),
        (runs, maxTicks, latencies) => {
          const intents = runs.flatMap(([intent, n]) => Array<Intent>(n).fill(intent));
          const messages = batch(intents, maxTicks, latencies);
          const server = serve(messages, intents.length + 40);
          const predicted = predict(intents);
          let prevAck = 0;
          for (const t of server) {
            expect(t.ack).toBeGreaterThanOrEqual(prevAck);
            if (t.ack === prevAck) expect(t.intent).toBe(0);
            expect(t.paddle).toBe(predicted[t.ack]);
            prevAck = t.ack;
          }
          expect(prevAck).toBe(intents.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
