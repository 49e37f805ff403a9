import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputQueue, MAX_IMPROVISED_TICKS, MAX_QUEUED_TICKS } from '../../server/rooms/input-queue.ts';
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

describe('InputQueue: improvisation', () => {
  it(`repeats the held intent for at most MAX_IMPROVISED_TICKS (${MAX_IMPROVISED_TICKS}) ticks, then stands still`, () => {
    const q = new InputQueue();
    q.push(2, -1, 2);
    take(q, 2);
    const stall = take(q, MAX_IMPROVISED_TICKS + 5);
    const improvised = stall.slice(0, MAX_IMPROVISED_TICKS);
    expect(improvised).toEqual(improvised.map((_, i) => ({ intent: -1, ack: 3 + i })));
    // Past the cap: no movement, and no tick acknowledged that did not move the paddle.
    for (const t of stall.slice(MAX_IMPROVISED_TICKS))
      expect(t).toEqual({ intent: 0, ack: 2 + MAX_IMPROVISED_TICKS });
  });

  it('improvises standing still before any input has arrived', () => {
    const q = new InputQueue();
    expect(take(q, MAX_IMPROVISED_TICKS + 2).map((t) => t.intent)).toEqual(
      Array<Intent>(MAX_IMPROVISED_TICKS + 2).fill(0),
    );
    expect(q.ack).toBe(MAX_IMPROVISED_TICKS);
  });

  it('skips the owed ticks when the late input arrives and goes on from the next one', () => {
    const q = new InputQueue();
    q.push(4, 1, 4);
    take(q, 4);
    expect(take(q, 3)).toEqual([
      { intent: 1, ack: 5 },
      { intent: 1, ack: 6 },
      { intent: 1, ack: 7 },
    ]);
    // Ticks 5..7 were improvised: only 8 and 9 of this late message are new.
    expect(q.push(9, -1, 5)).toBe(true);
    expect(take(q, 2)).toEqual([
      { intent: -1, ack: 8 },
      { intent: -1, ack: 9 },
    ]);
    // Then it improvises again from the new held intent.
    expect(take(q, 1)).toEqual([{ intent: -1, ack: 10 }]);
  });

  it('owed ticks are paid off across several late messages', () => {
    const q = new InputQueue();
    q.push(1, 1, 1);
    take(q, 1);
    take(q, 4); // improvises 2..5
    q.push(3, 1, 2); // pays 2..3
    q.push(4, 1, 1); // pays 4
    q.push(7, 0, 3); // pays 5, queues 6..7
    expect(take(q, 3)).toEqual([
      { intent: 0, ack: 6 },
      { intent: 0, ack: 7 },
      { intent: 0, ack: 8 },
    ]);
  });

  it('drain() consumes queued ticks without moving, then improvisation resumes after them', () => {
    const q = new InputQueue();
    q.push(6, 1, 6);
    q.drain();
    expect(q.ack).toBe(6);
    expect(take(q, 1)).toEqual([{ intent: 1, ack: 7 }]);
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
  /** No input for this tick had arrived: the server guessed. */
  improvised: boolean;
  /**
   * The intent a guess must repeat: the last one applied, or the newest one that paid off
   * guessed ticks (so a client that is always one tick late still turns).
   */
  held: Intent;
  /** Highest seq delivered so far. */
  received: number;
}

/** Server tick j applies, after delivering everything due by j, one intent from the queue. */
function serve(messages: readonly Message[], ticks: number): ServerTick[] {
  const q = new InputQueue();
  const out: ServerTick[] = [];
  let paddle = MID_Y;
  let next = 0;
  let delivered = 0;
  let held: Intent = 0;
  for (let j = 1; j <= ticks; j += 1) {
    for (let m = messages[next]; m !== undefined && m.deliverAt <= j; m = messages[++next]) {
      const guessed = Math.max(0, q.ack - delivered);
      if (guessed > 0 && m.lastSeq > delivered) held = m.intent;
      q.push(m.lastSeq, m.intent, m.ticks);
      delivered = m.lastSeq;
    }
    const intent = q.next();
    paddle = movePaddle(paddle, intent, RULES);
    const improvised = q.ack > delivered;
    out.push({ ack: q.ack, intent, paddle, improvised, held, received: delivered });
    if (!improvised) held = intent;
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
  it('matches the client prediction at every ack when late input held the same intent', () => {
    const intents = Array<Intent>(30).fill(1);
    const messages = batch(intents, 1, [0]);
    // Ticks 6..11 arrive 6 ticks late (together with 12).
    for (const m of messages) if (m.lastSeq >= 6 && m.lastSeq <= 12) m.deliverAt = 12;
    const server = serve(messages, 30);
    const predicted = predict(intents);
    expect(server.filter((t) => t.improvised).map((t) => t.ack)).toEqual([6, 7, 8, 9, 10, 11]);
    for (const t of server) expect(t.paddle).toBe(predicted[t.ack]);
    expect(server.map((t) => t.ack)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('still matches after a stall longer than the improvisation cap', () => {
    const intents = Array<Intent>(40).fill(-1);
    const messages = batch(intents, 1, [0]);
    for (const m of messages) if (m.lastSeq >= 6 && m.lastSeq <= 20) m.deliverAt = 20;
    const server = serve(messages, 40);
    const predicted = predict(intents);
    const frozen = server.filter((t, i) => i > 0 && t.ack === server[i - 1]?.ack);
    expect(frozen).toHaveLength(20 - 6 - MAX_IMPROVISED_TICKS);
    for (const t of frozen) expect(t.intent).toBe(0);
    for (const t of server) expect(t.paddle).toBe(predicted[t.ack]);
  });

  it('diverges from the prediction when the late input changed intent (the client then reconciles)', () => {
    const intents: Intent[] = [...Array<Intent>(5).fill(1), ...Array<Intent>(25).fill(-1)];
    const messages = batch(intents, 1, [0]);
    for (const m of messages) if (m.lastSeq >= 6 && m.lastSeq <= 9) m.deliverAt = 9;
    const server = serve(messages, 30);
    const predicted = predict(intents);
    const at9 = server[8] as ServerTick;
    expect(at9.ack).toBe(9);
    // The server guessed "down" for 6..8 where the client went up.
    expect(at9.paddle).toBe(predict([...Array<Intent>(8).fill(1), -1])[9]);
    expect(at9.paddle).not.toBe(predicted[9]);
  });

  it('a client always exactly one tick late still turns: guesses follow the newest repaid intent', () => {
    const intents: Intent[] = [...Array<Intent>(10).fill(1), ...Array<Intent>(20).fill(-1)];
    const messages = batch(intents, 1, [1]);
    const server = serve(messages, 30);
    // Every tick is a guess, and each guess repeats the intent the client had one tick earlier.
    expect(server.every((t) => t.improvised)).toBe(true);
    expect(server.map((t) => t.intent)).toEqual([0, ...intents.slice(0, 29)]);
    expect(server.map((t) => t.ack)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('over random lag: real ticks apply the client intent for the acked seq; guesses repeat the held one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(intentArb, fc.integer({ min: 1, max: 25 })), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 24 }), { minLength: 1, maxLength: 20 }),
        (runs, maxTicks, latencies) => {
          const intents = runs.flatMap(([intent, n]) => Array<Intent>(n).fill(intent));
          const messages = batch(intents, maxTicks, latencies);
          const server = serve(messages, intents.length + 40);
          const predicted = predict(intents);
          let prevAck = 0;
          let faithful = true;
          for (const t of server) {
            if (t.ack === prevAck) {
              // Out of guesses: stand still and acknowledge nothing.
              expect(t.intent).toBe(0);
              expect(t.ack - t.received).toBe(MAX_IMPROVISED_TICKS);
              continue;
            }
            if (t.improvised) {
              expect(t.ack).toBe(prevAck + 1);
              expect(t.intent).toBe(t.held);
              // Guesses not yet paid off by real input never exceed the cap.
              expect(t.ack - t.received).toBeLessThanOrEqual(MAX_IMPROVISED_TICKS);
              if (t.ack > intents.length || intents[t.ack - 1] !== t.intent) faithful = false;
            } else {
              expect(t.intent).toBe(intents[t.ack - 1]);
              // A jump means ticks were dropped from an over-full queue: never applied, so no longer faithful.
              if (t.ack !== prevAck + 1) faithful = false;
            }
            prevAck = t.ack;
            if (faithful) expect(t.paddle).toBe(predicted[t.ack]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
