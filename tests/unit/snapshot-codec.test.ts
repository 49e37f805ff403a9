import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  QUANTIZATION_ERROR_PX,
  SNAPSHOT_BYTES,
  SNAPSHOT_FORMAT,
  decodeSnapshot,
  encodeSnapshot,
  unwrap,
  writeSnapshot,
  type Snapshot,
} from '../../shared/codec/snapshot.ts';
import { FIELD_HEIGHT_PX, FIELD_WIDTH_PX } from '../../shared/constants.ts';
import { ROOM_PHASES, RoomPhase } from '../../shared/protocol/messages.ts';

const coord = (max: number) => fc.double({ min: 0, max, noNaN: true });

const snapshotArb: fc.Arbitrary<Snapshot> = fc.record({
  serverTimeMs: fc.oneof(fc.maxSafeNat(), fc.double({ min: 0, max: 2 ** 40, noNaN: true })),
  phase: fc.constantFrom(...ROOM_PHASES),
  ball: fc.record({ x: coord(FIELD_WIDTH_PX), y: coord(FIELD_HEIGHT_PX) }),
  paddles: fc.tuple(coord(FIELD_HEIGHT_PX), coord(FIELD_HEIGHT_PX)),
  scores: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
  acks: fc.tuple(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 0x7fffffff })),
  timerTenths: fc.integer({ min: 0, max: 255 }),
});

/**
 * QUANTIZATION_ERROR_PX is the exact half-step of the grid; decoding a value that sits exactly
 * half-way between two grid points lands one or two float ulps past it (about 6e-14 px).
 */
const FLOAT_SLACK_PX = 1e-9;
const BOUND = QUANTIZATION_ERROR_PX + FLOAT_SLACK_PX;
const X_STEP = FIELD_WIDTH_PX / 65535;
const Y_STEP = FIELD_HEIGHT_PX / 65535;

const validBytes = () =>
  encodeSnapshot({
    serverTimeMs: 1234,
    phase: 'playing',
    ball: { x: 400, y: 300 },
    paddles: [100, 500],
    scores: [3, 4],
    acks: [10, 20],
    timerTenths: 0,
  });

describe('snapshot codec', () => {
  it('writes in place at any offset exactly what encodeSnapshot makes, and touches nothing else', () => {
    fc.assert(
      fc.property(snapshotArb, fc.integer({ min: 0, max: 8 }), (snap, offset) => {
        const out = new Uint8Array(offset + SNAPSHOT_BYTES + 3).fill(0xaa);
        writeSnapshot(snap, out, offset);
        expect(out.subarray(offset, offset + SNAPSHOT_BYTES)).toEqual(encodeSnapshot(snap));
        expect(
          [...out.subarray(0, offset), ...out.subarray(offset + SNAPSHOT_BYTES)].every((b) => b === 0xaa),
        ).toBe(true);
      }),
    );
  });

  it(`encodes to ${SNAPSHOT_BYTES} bytes starting with the format byte`, () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const bytes = encodeSnapshot(s);
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect(bytes.byteLength).toBe(SNAPSHOT_BYTES);
        expect(bytes[0]).toBe(SNAPSHOT_FORMAT);
      }),
      { numRuns: 200 },
    );
  });

  it('lays the bytes out as documented: little-endian, positions as u16 over the whole field', () => {
    const bytes = encodeSnapshot({
      serverTimeMs: 0x01020304,
      phase: 'paused',
      ball: { x: FIELD_WIDTH_PX, y: 0 },
      paddles: [FIELD_HEIGHT_PX, FIELD_HEIGHT_PX / 2],
      scores: [3, 250],
      acks: [0x1234, 0xabcd],
      timerTenths: 42,
    });
    // prettier-ignore
    expect(Array.from(bytes)).toEqual([
      SNAPSHOT_FORMAT, RoomPhase.paused,
      0x04, 0x03, 0x02, 0x01,
      0xff, 0xff, 0x00, 0x00,
      0xff, 0xff, 0x00, 0x80,
      3, 250,
      0x34, 0x12, 0xcd, 0xab,
      42,
    ]);
  });

  it('round-trips positions within QUANTIZATION_ERROR_PX', () => {
    const halfway = (k: number): Snapshot => ({
      serverTimeMs: 0,
      phase: 'playing',
      ball: { x: (k + 0.5) * X_STEP, y: (k + 0.5) * Y_STEP },
      paddles: [(k + 0.5) * Y_STEP, (k + 0.49) * Y_STEP],
      scores: [0, 0],
      acks: [0, 0],
      timerTenths: 0,
    });
    // Worst cases first: exactly half-way between two grid points, then random snapshots.
    const worst = fc.integer({ min: 0, max: 65_534 }).map(halfway);
    fc.assert(
      fc.property(fc.oneof(worst, snapshotArb), (s) => {
        const d = decodeSnapshot(encodeSnapshot(s));
        expect(Math.abs(d.ball.x - s.ball.x)).toBeLessThanOrEqual(BOUND);
        expect(Math.abs(d.ball.y - s.ball.y)).toBeLessThanOrEqual(BOUND);
        expect(Math.abs(d.paddles[0] - s.paddles[0])).toBeLessThanOrEqual(BOUND);
        expect(Math.abs(d.paddles[1] - s.paddles[1])).toBeLessThanOrEqual(BOUND);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the quantization error at half a grid step, below a hundredth of a pixel', () => {
    expect(QUANTIZATION_ERROR_PX).toBeCloseTo(Math.max(X_STEP, Y_STEP) / 2, 15);
    expect(QUANTIZATION_ERROR_PX).toBeLessThan(0.01);
    // Exactly representable points (grid points, edges) come back exactly.
    const d = decodeSnapshot(
      encodeSnapshot({
        serverTimeMs: 0,
        phase: 'waiting',
        ball: { x: FIELD_WIDTH_PX, y: 0 },
        paddles: [0, FIELD_HEIGHT_PX],
        scores: [0, 0],
        acks: [0, 0],
        timerTenths: 0,
      }),
    );
    expect(d.ball).toEqual({ x: FIELD_WIDTH_PX, y: 0 });
    expect(d.paddles).toEqual([0, FIELD_HEIGHT_PX]);
  });

  it('is exact for phase, scores and timer, and for acks mod 2^16 and time mod 2^32', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const d = decodeSnapshot(encodeSnapshot(s));
        expect(d.phase).toBe(s.phase);
        expect(d.scores).toEqual(s.scores);
        expect(d.timerTenths).toBe(s.timerTenths);
        expect(d.acks).toEqual([s.acks[0] % 2 ** 16, s.acks[1] % 2 ** 16]);
        expect(d.serverTimeMs).toBe(Math.round(s.serverTimeMs) % 2 ** 32);
      }),
      { numRuns: 1000 },
    );
  });

  it('clamps out-of-range values instead of wrapping them', () => {
    const d = decodeSnapshot(
      encodeSnapshot({
        serverTimeMs: 5,
        phase: 'finished',
        ball: { x: -50, y: FIELD_HEIGHT_PX + 50 },
        paddles: [-1, 10_000],
        scores: [300, -2],
        acks: [0, 0],
        timerTenths: 1000,
      }),
    );
    expect(d.ball).toEqual({ x: 0, y: FIELD_HEIGHT_PX });
    expect(d.paddles).toEqual([0, FIELD_HEIGHT_PX]);
    expect(d.scores).toEqual([255, 0]);
    expect(d.timerTenths).toBe(255);
  });

  it('decodes a view into a larger buffer (as a socket hands it over)', () => {
    const bytes = validBytes();
    const framed = new Uint8Array(bytes.byteLength + 3);
    framed.set(bytes, 1);
    const view = framed.subarray(1, 1 + bytes.byteLength);
    expect(decodeSnapshot(view)).toEqual(decodeSnapshot(bytes));
  });

  it.each([0, 1, SNAPSHOT_BYTES - 1, SNAPSHOT_BYTES + 1, 64])('rejects %i bytes', (size) => {
    const bytes = new Uint8Array(size);
    bytes.set(validBytes().subarray(0, Math.min(size, SNAPSHOT_BYTES)));
    expect(() => decodeSnapshot(bytes)).toThrow(/expected 21 bytes/);
  });

  it('rejects an unknown format byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (format) => {
        fc.pre(format !== SNAPSHOT_FORMAT);
        const bytes = validBytes();
        bytes[0] = format;
        expect(() => decodeSnapshot(bytes)).toThrow(/unknown format/);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects an unknown phase byte and accepts every known one', () => {
    const phases = Object.values(RoomPhase);
    for (let code = 0; code < 256; code += 1) {
      const bytes = validBytes();
      bytes[1] = code;
      if (phases.includes(code as (typeof phases)[number])) {
        expect(decodeSnapshot(bytes).phase).toBe(ROOM_PHASES[code]);
      } else {
        expect(() => decodeSnapshot(bytes)).toThrow(/unknown phase/);
      }
    }
  });

  it('ROOM_PHASES lists each phase at the index of its wire code', () => {
    for (const [name, code] of Object.entries(RoomPhase)) expect(ROOM_PHASES[code]).toBe(name);
    expect(ROOM_PHASES).toHaveLength(Object.keys(RoomPhase).length);
  });
});

describe('unwrap', () => {
  const bitsArb = fc.constantFrom<16 | 32>(16, 32);

  it('recovers any value within half the wrap span of the reference', () => {
    fc.assert(
      fc.property(
        bitsArb,
        fc.integer({ min: 0, max: 2 ** 48 }),
        fc.double({ min: -0.4999, max: 0.4999, noNaN: true }),
        (bits, ref, f) => {
          const span = 2 ** bits;
          const value = Math.max(0, ref + Math.trunc(f * span));
          expect(unwrap(value % span, ref, bits)).toBe(value);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('returns a value congruent to the wire value, at most half a span from the reference', () => {
    fc.assert(
      fc.property(
        bitsArb,
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (bits, ref, raw) => {
          const span = 2 ** bits;
          const wire = raw % span;
          const value = unwrap(wire, ref, bits);
          expect(Number.isInteger(value)).toBe(true);
          expect((((value - wire) % span) + span) % span).toBe(0);
          expect(Math.abs(value - ref)).toBeLessThanOrEqual(span / 2);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('follows a counter across the wrap in both directions', () => {
    expect(unwrap(3, 65_534, 16)).toBe(65_539);
    expect(unwrap(65_534, 65_539, 16)).toBe(65_534);
    expect(unwrap(10, 2 ** 32 - 5, 32)).toBe(2 ** 32 + 10);
    expect(unwrap(2 ** 32 - 5, 2 ** 32 + 10, 32)).toBe(2 ** 32 - 5);
    expect(unwrap(7, 7, 16)).toBe(7);
  });

  it('tracks a client ack sequence through many wraps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 100 }),
        (steps) => {
          let truth = 0;
          let tracked = 0;
          for (const d of steps) {
            truth += d;
            tracked = unwrap(truth & 0xffff, tracked, 16);
            expect(tracked).toBe(truth);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
