import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeSnapshot, SNAPSHOT_BYTES } from '../../shared/codec/snapshot.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/index.ts';
import { expectTimeAdvances, waitFor, waitForSnapshot } from '../support/client.ts';
import { useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';

const env = useTestEnv();
/** The custom parser's first byte on a snapshot frame. */
const SNAPSHOT_MARKER = 0xfe;
const FRAME_BYTES = 1 + SNAPSHOT_BYTES;
const SNAPSHOTS_TO_CHECK = 40;

/** engine.io packet as engine.io-client emits it, one per WebSocket frame. */
interface EnginePacket {
  type: string;
  data?: unknown;
}

function asBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return null;
}

describe('one WebSocket frame per snapshot', () => {
  it('socket.io-client receives each snapshot as exactly one binary engine.io packet', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right } = await env.startMatch(server);
    new PlayerBot(left, { intent: 1 }).start();
    new PlayerBot(right, { intent: -1 }).start();

    const engine = left.io.engine;
    const unmatched: Uint8Array[] = [];
    const textMessages: string[] = [];
    const problems: string[] = [];
    engine.on('packet', (packet: EnginePacket) => {
      if (packet.type !== 'message') return;
      if (typeof packet.data === 'string') {
        textMessages.push(packet.data);
        return;
      }
      const bytes = asBytes(packet.data);
      if (!bytes) problems.push(`unexpected message packet data: ${String(packet.data)}`);
      else if (bytes.byteLength !== FRAME_BYTES || bytes[0] !== SNAPSHOT_MARKER) {
        problems.push(`binary packet of ${bytes.byteLength} bytes starting with ${bytes[0]}`);
      } else unmatched.push(Uint8Array.from(bytes));
    });

    let snapshots = 0;
    left.on('snapshot', (bytes) => {
      snapshots += 1;
      // Each snapshot event consumes the one frame it came in, in arrival order.
      const frame = unmatched.shift();
      if (!frame) problems.push(`snapshot ${snapshots} had no binary packet of its own`);
      else if (!Buffer.from(frame.subarray(1)).equals(Buffer.from(bytes))) {
        problems.push(`snapshot ${snapshots} differs from its frame`);
      }
    });
    await waitForSnapshot(left, () => snapshots >= SNAPSHOTS_TO_CHECK, 10_000);

    expect(problems).toEqual([]);
    // Only frames still being dispatched may be left over: no binary frame without its snapshot.
    expect(unmatched.length).toBeLessThanOrEqual(2);
    // No text header frames: a two-frame binary event would show up as '5…' (BINARY_EVENT).
    expect(textMessages.filter((m) => /^[56]/.test(m) || m.includes('snapshot'))).toEqual([]);
  });

  it('a raw WebSocket sees one binary frame of marker + snapshot per snapshot, and no header frame', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right, code } = await env.startMatch(server);
    new PlayerBot(left, { intent: 1 }).start();
    new PlayerBot(right, { intent: -1 }).start();

    // Speak engine.io v4 / socket.io v5 by hand: open, connect with auth, join with an ack.
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
    env.defer(() => ws.terminate());
    const frames: { data: Buffer; binary: boolean }[] = [];
    ws.on('message', (data: Buffer, binary: boolean) => {
      frames.push({ data, binary });
      if (!binary && data.toString() === '2') ws.send('3'); // engine.io heartbeat
    });
    const isText = (prefix: string) => (data: Buffer, binary: boolean) =>
      !binary && data.toString().startsWith(prefix);

    await waitFor<[Buffer, boolean]>(ws, 'message', isText('0{'));
    ws.send(`40${JSON.stringify({ v: PROTOCOL_VERSION })}`);
    await waitFor<[Buffer, boolean]>(ws, 'message', isText('40{'));
    ws.send(`421${JSON.stringify(['room:join', { code, nickname: 'raw' }])}`);
    const [ackFrame] = await waitFor<[Buffer, boolean]>(ws, 'message', isText('431'));
    expect(JSON.parse(ackFrame.toString().slice(3))).toMatchObject([{ ok: true, role: 'spectator' }]);

    const from = frames.length;
    const binaryCount = () => frames.slice(from).filter((f) => f.binary).length;
    await waitFor<[Buffer, boolean]>(ws, 'message', () => binaryCount() >= SNAPSHOTS_TO_CHECK, 10_000);

    const after = frames.slice(from);
    const binary = after.filter((f) => f.binary).map((f) => f.data);
    const text = after.filter((f) => !f.binary).map((f) => f.data.toString());
    expect(binary.map((b) => b.byteLength)).toEqual(binary.map(() => FRAME_BYTES));
    expect(binary.map((b) => b[0])).toEqual(binary.map(() => SNAPSHOT_MARKER));
    expect(text.filter((t) => t !== '2')).toEqual(text.filter((t) => t.startsWith('42["room:state"')));
    expectTimeAdvances(
      binary.map((b) => ({ snapshot: decodeSnapshot(b.subarray(1)), bytes: b.subarray(1) })),
    );
  });
});
