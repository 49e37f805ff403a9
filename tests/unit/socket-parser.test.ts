import fc from 'fast-check';
import * as base from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_BYTES } from '../../shared/codec/snapshot.ts';
import { Decoder, Encoder, PacketType, SNAPSHOT_EVENT, protocol } from '../../shared/codec/socket-parser.ts';

const MARKER = 0xfe;

interface PacketDecoder {
  add(chunk: unknown): void;
  on(event: 'decoded', listener: (packet: base.Packet) => void): unknown;
}

/** Feeds chunks to a decoder (ours by default) and returns the packets it emitted. */
function decode(chunks: readonly unknown[], decoder: PacketDecoder = new Decoder()): base.Packet[] {
  const out: base.Packet[] = [];
  decoder.on('decoded', (p: base.Packet) => out.push(p));
  for (const chunk of chunks) decoder.add(chunk);
  return out;
}

const snapshotPacket = (bytes: Uint8Array, type = PacketType.EVENT): base.Packet => ({
  type,
  nsp: '/',
  data: [SNAPSHOT_EVENT, bytes],
});

const sampleSnapshot = () =>
  encodeSnapshot({
    serverTimeMs: 98_765,
    phase: 'playing',
    ball: { x: 123.4, y: 456.7 },
    paddles: [80, 520],
    scores: [7, 9],
    acks: [1000, 70_000],
    timerTenths: 0,
  });

const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);
const eventName = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !RESERVED.has(s));
const jsonArg = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const binaryArg = fc.uint8Array({ minLength: 0, maxLength: 40 });
const argArb = fc.oneof(jsonArg, binaryArg, fc.record({ blob: binaryArg, n: fc.integer() }));

/** Any packet the default parser can carry, snapshots excluded only when they would take the fast path. */
const packetArb: fc.Arbitrary<base.Packet> = fc.oneof(
  fc.record({
    type: fc.constant(PacketType.EVENT),
    nsp: fc.constantFrom('/', '/admin'),
    data: fc.tuple(eventName, fc.array(argArb, { maxLength: 3 })).map(([name, args]) => [name, ...args]),
    id: fc.option(fc.nat(1000), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant(PacketType.ACK),
    nsp: fc.constant('/'),
    data: fc.array(argArb, { maxLength: 3 }),
    id: fc.nat(1000),
  }),
  fc.record({
    type: fc.constant(PacketType.CONNECT),
    nsp: fc.constantFrom('/', '/admin'),
    data: fc.record({ v: fc.integer(), token: fc.string() }),
  }),
);

/** True when the custom encoder is meant to take its one-frame path for this packet. */
const isFastPathSnapshot = (p: base.Packet) =>
  p.nsp === '/' &&
  p.id === undefined &&
  Array.isArray(p.data) &&
  p.data.length === 2 &&
  p.data[0] === SNAPSHOT_EVENT &&
  p.data[1] instanceof Uint8Array;

describe('socket parser: snapshot fast path', () => {
  it('speaks the same protocol version as socket.io-parser', () => {
    expect(protocol).toBe(base.protocol);
  });

  it.each([PacketType.EVENT, PacketType.BINARY_EVENT])(
    'encodes a snapshot event (packet type %i) as ONE binary chunk: marker + bytes',
    (type) => {
      const bytes = sampleSnapshot();
      const chunks = new Encoder().encode(snapshotPacket(bytes, type));
      expect(chunks).toHaveLength(1);
      const [frame] = chunks;
      expect(frame).toBeInstanceOf(Uint8Array);
      expect(frame).toHaveLength(SNAPSHOT_BYTES + 1);
      expect((frame as Uint8Array)[0]).toBe(MARKER);
      expect(Array.from((frame as Uint8Array).subarray(1))).toEqual(Array.from(bytes));
      // The default parser needs a text header plus an attachment for the same event.
      expect(new base.Encoder().encode(snapshotPacket(bytes))).toHaveLength(2);
    },
  );

  it('decodes the one chunk back to the same snapshot event, from a Uint8Array, Buffer or ArrayBuffer', () => {
    const bytes = sampleSnapshot();
    const [frame] = new Encoder().encode(snapshotPacket(bytes)) as [Uint8Array];
    const asArrayBuffer = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength);
    for (const chunk of [frame, Buffer.from(frame), asArrayBuffer]) {
      const packets = decode([chunk]);
      expect(packets).toHaveLength(1);
      const [packet] = packets as [base.Packet];
      expect(packet.type).toBe(PacketType.EVENT);
      expect(packet.nsp).toBe('/');
      expect(packet.id).toBeUndefined();
      const [name, body] = packet.data as [string, Uint8Array];
      expect(name).toBe(SNAPSHOT_EVENT);
      expect(Array.from(body)).toEqual(Array.from(bytes));
      expect(decodeSnapshot(body)).toEqual(decodeSnapshot(bytes));
    }
  });

  it('round-trips random snapshot bytes through one frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        const chunks = new Encoder().encode(snapshotPacket(bytes));
        expect(chunks).toHaveLength(1);
        const [packet] = decode(chunks) as [base.Packet];
        expect(packet.data[0]).toBe(SNAPSHOT_EVENT);
        expect(Array.from(packet.data[1] as Uint8Array)).toEqual(Array.from(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves snapshots that need more than the fast path to the default framing', () => {
    const bytes = sampleSnapshot();
    const cases: base.Packet[] = [
      { type: PacketType.EVENT, nsp: '/', id: 3, data: [SNAPSHOT_EVENT, bytes] },
      { type: PacketType.EVENT, nsp: '/other', data: [SNAPSHOT_EVENT, bytes] },
      { type: PacketType.EVENT, nsp: '/', data: [SNAPSHOT_EVENT, bytes, 'extra'] },
      { type: PacketType.EVENT, nsp: '/', data: [SNAPSHOT_EVENT, 'not bytes'] },
    ];
    for (const packet of cases) {
      const chunks = new Encoder().encode(packet);
      expect(chunks).toEqual(new base.Encoder().encode(packet));
      expect(decode(chunks)).toEqual(decode(chunks, new base.Decoder()));
    }
  });
});

describe('socket parser: every other packet behaves as socket.io-parser', () => {
  it('encodes to exactly the default chunks and decodes to the default packet', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        fc.pre(!isFastPathSnapshot(packet));
        const chunks = new Encoder().encode(packet);
        expect(chunks).toEqual(new base.Encoder().encode(packet));
        const ours = decode(chunks);
        expect(ours).toHaveLength(1);
        expect(ours).toEqual(decode(new base.Encoder().encode(packet), new base.Decoder()));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips string events, acks and binary events with attachments', () => {
    const attachment = Uint8Array.from([MARKER, 1, 2, 3]);
    const packets: base.Packet[] = [
      { type: PacketType.EVENT, nsp: '/', data: ['room:state', { code: 'abc', spectators: 2 }] },
      { type: PacketType.EVENT, nsp: '/', id: 7, data: ['time:ping'] },
      { type: PacketType.ACK, nsp: '/', id: 7, data: [12_345.5] },
      { type: PacketType.EVENT, nsp: '/', data: ['upload', attachment, { more: Uint8Array.from([9]) }] },
      { type: PacketType.ACK, nsp: '/', id: 2, data: [Uint8Array.from([MARKER])] },
      { type: PacketType.CONNECT, nsp: '/', data: { v: 1 } },
    ];
    for (const packet of packets) {
      const decoded = decode(new Encoder().encode(packet));
      expect(decoded).toHaveLength(1);
      const [got] = decoded as [base.Packet];
      expect(got.nsp).toBe(packet.nsp);
      expect(got.id).toBe(packet.id);
      expect(got.data).toEqual(packet.data);
    }
  });

  it('treats an attachment that starts with the marker byte as an attachment, not a snapshot', () => {
    const attachment = Uint8Array.from([MARKER, ...sampleSnapshot()]);
    const packet: base.Packet = { type: PacketType.EVENT, nsp: '/', data: ['file', attachment] };
    const chunks = new Encoder().encode(packet);
    expect(chunks).toHaveLength(2);
    const decoded = decode(chunks);
    expect(decoded).toEqual(decode(chunks, new base.Decoder()));
    expect(decoded).toHaveLength(1);
    expect(decoded[0]?.data).toEqual(['file', attachment]);
  });

  it('decodes a snapshot that arrives right after a complete binary packet', () => {
    const decoder = new Decoder();
    const bytes = sampleSnapshot();
    const binary: base.Packet = { type: PacketType.EVENT, nsp: '/', data: ['x', Uint8Array.from([1])] };
    const packets = decode(
      [...new Encoder().encode(binary), ...new Encoder().encode(snapshotPacket(bytes))],
      decoder,
    );
    expect(packets.map((p) => p.data[0])).toEqual(['x', SNAPSHOT_EVENT]);
  });
});

describe('socket parser: malformed input', () => {
  it.each([
    ['a stray chunk without the marker', Uint8Array.from([1, 2, 3])],
    ['an empty chunk', new Uint8Array(0)],
    ['a stray ArrayBuffer without the marker', new Uint8Array([0, MARKER]).buffer],
  ])('throws on %s (socket.io then closes the client)', (_name, chunk) => {
    const decoder = new Decoder();
    const seen = decode([], decoder);
    expect(() => decoder.add(chunk)).toThrow();
    expect(seen).toHaveLength(0);
  });

  it('throws on a stray non-snapshot chunk after a complete binary packet', () => {
    const decoder = new Decoder();
    const packet: base.Packet = { type: PacketType.EVENT, nsp: '/', data: ['x', Uint8Array.from([1])] };
    const seen = decode(new Encoder().encode(packet), decoder);
    expect(seen).toHaveLength(1);
    expect(() => decoder.add(Uint8Array.from([0x42]))).toThrow();
  });

  it('throws on text where an attachment was expected', () => {
    const decoder = new Decoder();
    const packet: base.Packet = { type: PacketType.EVENT, nsp: '/', data: ['x', Uint8Array.from([1])] };
    const [header] = new Encoder().encode(packet) as [string];
    decoder.add(header);
    expect(() => decoder.add('2["y"]')).toThrow();
  });

  it('throws on a malformed text packet', () => {
    expect(() => new Decoder().add('2["disconnect"]')).toThrow();
    expect(() => new Decoder().add('9')).toThrow();
  });
});
