import fc from 'fast-check';
import * as base from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import {
  decodeInputFrame,
  encodeInputFrame,
  fitsInputFrame,
  INPUT_FRAME_BYTES,
  INPUT_MARKER,
  inputFrameIntent,
  inputFrameSeq,
  inputFrameTicks,
  validInputFrame,
} from '../../shared/codec/input-frame.ts';
import { Decoder, Encoder } from '../../shared/codec/socket-parser.ts';
import { inputSchema } from '../../shared/protocol/schemas.ts';
import type { Intent } from '../../shared/sim/types.ts';

const inputArb = fc.tuple(
  fc.integer({ min: 0, max: 0x7fffffff }),
  fc.constantFrom<Intent>(-1, 0, 1),
  fc.integer({ min: 1, max: 30 }),
);

describe('input frame', () => {
  it('round-trips every valid input exactly, in 7 bytes behind the marker', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const bytes = encodeInputFrame(input);
        expect(bytes.byteLength).toBe(INPUT_FRAME_BYTES);
        expect(bytes[0]).toBe(INPUT_MARKER);
        expect(decodeInputFrame(bytes)).toEqual(input);
      }),
    );
  });

  it('decodes a wrong-sized frame to null, and out-of-range values fail the schema', () => {
    expect(decodeInputFrame(new Uint8Array([INPUT_MARKER, 1, 2]))).toBeNull();
    const zeroTicks = decodeInputFrame(encodeInputFrame([5, 1, 0]));
    expect(inputSchema.safeParse(zeroTicks).success).toBe(false);
    const hugeSeq = decodeInputFrame(encodeInputFrame([0xffffffff, 1, 3]));
    expect(inputSchema.safeParse(hugeSeq).success).toBe(false);
    const badIntent = new Uint8Array(encodeInputFrame([5, 1, 3]));
    badIntent[5] = 7;
    expect(inputSchema.safeParse(decodeInputFrame(badIntent)).success).toBe(false);
  });

  it('the hand check accepts exactly what the JSON schema accepts, and reads the fields in place', () => {
    const anyFrame = fc.uint8Array({ minLength: 0, maxLength: 9 }).map((b) => {
      if (b.byteLength > 0) b[0] = INPUT_MARKER;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(anyFrame, inputArb.map(encodeInputFrame)), (bytes) => {
        const tuple = decodeInputFrame(bytes);
        expect(validInputFrame(bytes)).toBe(tuple !== null && inputSchema.safeParse(tuple).success);
        if (tuple)
          expect([inputFrameSeq(bytes), inputFrameIntent(bytes), inputFrameTicks(bytes)]).toEqual(tuple);
      }),
      { numRuns: 2_000 },
    );
    expect(validInputFrame(encodeInputFrame([0x7fffffff, -1, 30]))).toBe(true);
    expect(validInputFrame(encodeInputFrame([0x80000000, -1, 30]))).toBe(false);
    expect(validInputFrame(encodeInputFrame([1, 1, 31]))).toBe(false);
    expect(validInputFrame(encodeInputFrame([1, 1, 0]))).toBe(false);
  });

  it('only tuples the frame carries exactly take the binary path', () => {
    expect(fitsInputFrame([1, -1, 3])).toBe(true);
    for (const bad of [[1, 2, 3], [1.5, 0, 3], [-1, 0, 3], [1, 0, 256], [1, 0], 'x', null, [1, '0', 3]]) {
      expect(fitsInputFrame(bad)).toBe(false);
    }
  });
});

describe('socket parser and input frames', () => {
  const packet = (data: unknown[], id?: number): base.Packet => ({
    type: base.PacketType.EVENT,
    nsp: '/',
    data,
    id,
  });

  it('encodes an input event as one binary frame, and anything else the default way', () => {
    const encoder = new Encoder();
    const [frame, ...rest] = encoder.encode(packet(['input', [9, 1, 3]]));
    expect(rest).toEqual([]);
    expect(frame).toEqual(encodeInputFrame([9, 1, 3]));
    // With an ack, or a payload the frame cannot carry, it stays socket.io's JSON.
    expect(encoder.encode(packet(['input', [9, 1, 3]], 4))).toEqual(['24["input",[9,1,3]]']);
    expect(encoder.encode(packet(['input', [9, 2, 3]]))).toEqual(['2["input",[9,2,3]]']);
  });

  it('an input frame that reaches the decoder comes out as an input event carrying its bytes', () => {
    const decoder = new Decoder();
    const decoded: base.Packet[] = [];
    decoder.on('decoded', (p) => decoded.push(p));
    const frame = encodeInputFrame([9, 1, 3]);
    decoder.add(frame);
    expect(decoded).toEqual([{ type: base.PacketType.EVENT, nsp: '/', data: ['input', frame] }]);
  });

  it('a frame that completes a binary event is an attachment, not an input', () => {
    const decoder = new Decoder();
    const decoded: base.Packet[] = [];
    decoder.on('decoded', (p) => decoded.push(p));
    decoder.add('51-["odd",{"_placeholder":true,"num":0}]');
    const frame = encodeInputFrame([9, 1, 3]);
    decoder.add(frame);
    expect(decoded).toHaveLength(1);
    expect((decoded[0]?.data as unknown[])[0]).toBe('odd');
  });
});
