import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sender } from 'ws';
import { encodeInputFrame } from '../../shared/codec/input-frame.ts';
import { decodeSnapshot, emptySnapshot } from '../../shared/codec/snapshot.ts';
import { prepareSnapshot } from '../../server/transport/snapshot-fanout.ts';
import { writeDirect } from '../../server/transport/engine-internals.ts';
import { waitFor, waitForSnapshot, type GameClient } from '../support/client.ts';
import { joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import type { TestServer } from '../support/server.ts';

const env = useTestEnv();

/** The versions whose internals server/transport/engine-internals.ts was written against. */
const PINNED = { 'engine.io': '6.6.12', ws: '8.21.3', 'socket.io': '4.8.4' } as const;

function serverConn(server: TestServer, client: GameClient) {
  const socket = server.app.io.sockets.sockets.get(client.id ?? '');
  if (!socket) throw new Error(`no server socket for ${client.id}`);
  return socket.conn;
}

/** Snapshots as the client received them, in order, with the transport each arrived on. */
function recordSnapshots(client: GameClient): { t: number; transport: string }[] {
  const seen: { t: number; transport: string }[] = [];
  client.on('snapshot', (bytes) =>
    seen.push({ t: decodeSnapshot(bytes).serverTimeMs, transport: client.io.engine.transport.name }),
  );
  return seen;
}

describe('transport seam: the engine.io and ws internals it relies on', () => {
  it('runs against the exact versions it was written for (an upgrade must re-check engine-internals.ts)', () => {
    for (const [name, version] of Object.entries(PINNED)) {
      const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
      expect(pkg.version, `${name} changed: re-check server/transport/engine-internals.ts`).toBe(version);
    }
  });

  it('finds the shapes it reads on a live WebSocket connection, and both hooks work', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right } = await env.startMatch(server);
    const conn = serverConn(server, left) as unknown as Record<string, unknown>;
    // The fields engine.io keeps private, read by engine-internals.ts.
    expect(typeof conn.readyState).toBe('string');
    expect(typeof conn.upgrading).toBe('boolean');
    expect(Array.isArray(conn.writeBuffer)).toBe(true);
    const transport = conn.transport as Record<string, unknown>;
    expect(transport.name).toBe('websocket');
    expect(typeof transport.writable).toBe('boolean');
    expect(transport.perMessageDeflate).toBeFalsy();
    expect(typeof transport.onPacket).toBe('function');
    const ws = transport.socket as {
      readyState: number;
      _sender: { sendFrame: unknown };
      _socket: { listenerCount(event: string): number };
    };
    expect(ws.readyState).toBe(1);
    expect(typeof ws._sender.sendFrame).toBe('function');
    // The direct write passes no callback: a failed write must reach ws as the socket's 'error'.
    expect(ws._socket.listenerCount('error')).toBeGreaterThan(0);
    expect(typeof Sender.frame).toBe('function');
    // engine.io's own pre-encoded path, which the direct write mirrors and falls back to.
    const wsTransportProto = Object.getPrototypeOf(transport) as Record<string, unknown>;
    expect(String(wsTransportProto._canSendPreEncodedFrame)).toContain('perMessageDeflate');
    expect(String(wsTransportProto.send)).toContain('_sender.sendFrame(packet.options.wsPreEncodedFrame');
    // Transports hand every decoded packet to this.onPacket(): the method the input hook wraps.
    const baseProto = Object.getPrototypeOf(wsTransportProto) as Record<string, unknown>;
    expect(String(baseProto.onData)).toContain('this.onPacket(');
    // engine.io's WebSocket transport listens to ws's 'message' once and hands each message to
    // onData (binary as is, text as a string): the listener the seam replaces with its own.
    const wsTransportClass = String((transport as { constructor: unknown }).constructor);
    expect(wsTransportClass).toContain('this.socket.on("message", (data, isBinary) => {');
    expect(wsTransportClass).toContain('const message = isBinary ? data : data.toString();');
    const wsEvents = transport.socket as { listeners(event: string): unknown[] };
    const onMessage = wsEvents.listeners('message');
    expect(onMessage).toHaveLength(1);
    expect(String(onMessage[0])).not.toContain('received "%s"');

    // The direct write reaches the client as one snapshot frame.
    const sent = { ...emptySnapshot(), serverTimeMs: 123_456, ball: { x: 111, y: 222 } };
    const snap = prepareSnapshot(sent);
    // The frame built by hand is byte for byte what ws's own framing makes of the same message.
    const byWs = Buffer.concat(
      Sender.frame(snap.data, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true }),
    );
    expect(Buffer.compare(snap.frame[0] as Buffer, byWs)).toBe(0);
    const got = waitFor(
      left,
      'snapshot',
      (bytes: Uint8Array) => decodeSnapshot(bytes).serverTimeMs === 123_456,
    );
    expect(writeDirect(serverConn(server, left), snap.frame)).toBe(true);
    await got;

    // Input frames are taken off the transport, not decoded by socket.io.
    const before = server.app.metrics.hot.framesIntercepted;
    new PlayerBot(left).start();
    new PlayerBot(right).start();
    await waitForSnapshot(left, (s) => s.phase === 'playing');
    expect(server.app.metrics.hot.framesIntercepted).toBeGreaterThan(before);
    expect(server.app.metrics.hot.inputs).toBe(server.app.metrics.hot.framesIntercepted);
  });

  it('intercepts input frames on long-polling too, and the direct write declines there', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const polling = { transports: ['polling'], upgrade: false };
    const { left, right } = await env.startMatch(server, polling);
    expect(writeDirect(serverConn(server, left), prepareSnapshot(emptySnapshot()).frame)).toBe(false);
    new PlayerBot(left, { intent: -1 }).start();
    new PlayerBot(right).start();
    await waitForSnapshot(left, (s) => s.phase === 'playing' && s.paddles[0] < 200);
    expect(server.app.metrics.hot.framesIntercepted).toBeGreaterThan(0);
  });

  it('an attachment of a binary event is never taken for an input, whatever its first byte', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left } = await env.startMatch(server);
    const errors: string[] = [];
    left.on('server:error', (e) => errors.push(e.code));
    // A binary event whose attachment starts with the input marker: socket.io must get it whole.
    (left as unknown as { emit(e: string, b: Uint8Array): void }).emit(
      'not-an-event',
      encodeInputFrame([1, 1, 1]),
    );
    await waitFor(left, 'server:error');
    expect(errors).toEqual(['UNKNOWN_EVENT']);
    expect(left.connected).toBe(true);
    expect(server.app.metrics.hot.framesIntercepted).toBe(0);
  });
});

describe('snapshot fan-out', () => {
  it('a polling → WebSocket upgrade while snapshots stream loses, repeats and reorders none', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right, code } = await env.startMatch(server);
    new PlayerBot(left, { intent: 1 }).start();
    new PlayerBot(right, { intent: -1 }).start();
    const watcher = await env.connected(server, { transports: ['polling', 'websocket'], upgrade: false });
    expect(watcher.io.engine.transport.name).toBe('polling');
    const seen = recordSnapshots(watcher);
    await joinRoom(watcher, { code });
    await waitForSnapshot(watcher, (s) => s.phase === 'playing');
    // Start the upgrade by hand while the stream runs (upgrade: false only kept it from starting
    // on its own before the join); engine.io-client performs it exactly as it would by itself.
    const upgraded = waitFor(watcher.io.engine as never, 'upgrade');
    (watcher.io.engine as unknown as { _probe(name: string): void })._probe('websocket');
    await upgraded;
    const atUpgrade = seen.length;
    for (let i = 0; i < 40; i += 1) await waitFor(watcher, 'snapshot');
    expect(watcher.io.engine.transport.name).toBe('websocket');
    expect(seen.slice(0, atUpgrade).some((s) => s.transport === 'polling')).toBe(true);
    expect(seen.slice(atUpgrade).every((s) => s.transport === 'websocket')).toBe(true);
    // After the welcome snapshot, one broadcast every 2 ticks of 1000/60 ms: 33 or 34 ms apart.
    const times = seen.slice(1).map((s) => s.t);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps.filter((g) => g < 33 || g > 34)).toEqual([]);
  });

  it('a write that throws on one member never stops the fan-out to the others', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    // The room's first member is the broken one, so every other member comes after it in the fan-out.
    const { left: broken, right, code } = await env.startMatch(server);
    new PlayerBot(broken).start();
    new PlayerBot(right).start();
    const watcher = await env.connected(server);
    await joinRoom(watcher, { code });
    await waitForSnapshot(watcher, (s) => s.phase === 'playing');
    // Fault injection in a dependency: this member's ws sender throws on every snapshot frame
    // (a one-buffer list whose payload starts with the snapshot marker); other writes pass.
    type SendFrame = (list: Buffer[], cb?: unknown) => void;
    const sender = (
      serverConn(server, broken) as unknown as {
        transport: { socket: { _sender: { sendFrame: SendFrame } } };
      }
    ).transport.socket._sender;
    const original = sender.sendFrame;
    let thrown = 0;
    sender.sendFrame = function (this: unknown, list, cb) {
      if (list.length === 1 && list[0]?.[2] === 0xfe) {
        thrown += 1;
        throw new Error('EPIPE (injected)');
      }
      original.call(this, list, cb);
    };
    env.defer(() => (sender.sendFrame = original));
    const fromRight = recordSnapshots(right);
    const fromWatcher = recordSnapshots(watcher);
    for (let i = 0; i < 20; i += 1) await waitFor(watcher, 'snapshot');
    await waitFor(right, 'snapshot');
    expect(fromWatcher.length).toBeGreaterThanOrEqual(20);
    expect(fromRight.length).toBeGreaterThanOrEqual(19);
    expect(thrown).toBeGreaterThanOrEqual(19);
    expect(server.app.rooms.size).toBe(1);
  });
});
