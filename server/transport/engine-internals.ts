import type { Socket as EngineSocket } from 'engine.io';

/**
 * The one place that reaches into engine.io's and ws's internals. Both are pinned to exact versions
 * (package.json) and tests/integration/transport-seam.test.ts fails loudly when the shapes read
 * here change. Every reach checks first what engine.io itself checks before it does the same thing,
 * and the caller falls back to engine.io's supported path whenever a check fails:
 *
 * - Snapshot writes: engine.io's WebSocket transport hands a packet's `wsPreEncodedFrame` to
 *   `ws._sender.sendFrame()` when compression is off and `sendFrame` is a function
 *   (`_canSendPreEncodedFrame`), and only flushes when the transport is writable and its socket
 *   open. We do the same write without building a packet per member, and only when engine.io has
 *   nothing buffered for the member, so the order of everything it sends is kept.
 * - Input frames: a transport hands each decoded packet to its own `onPacket()` (WebSocket and
 *   long-polling alike). Wrapping that method per transport lets a 7-byte input frame stop there,
 *   before engine.io's socket events, socket.io's decoder and its dispatch. Everything else goes on
 *   to the original method untouched. On a WebSocket the frame is taken one step earlier, at ws's
 *   'message' event: engine.io's only listener there turns every message into a packet object for
 *   `onData()`; ours does exactly the same for everything that is not an input frame.
 */

interface WsSender {
  sendFrame(list: readonly Buffer[], cb?: (err?: Error) => void): void;
}

interface WsSocket {
  readyState: number;
  _sender?: WsSender;
  listenerCount?(event: string): number;
  listeners?(event: string): ((...args: never[]) => unknown)[];
  removeListener?(event: string, listener: (...args: never[]) => unknown): unknown;
  on?(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
}

interface EnginePacket {
  type: string;
  data?: unknown;
}

interface EngineTransport {
  name: string;
  writable: boolean;
  perMessageDeflate?: unknown;
  socket?: WsSocket;
  onPacket(packet: EnginePacket): void;
  onData?(data: unknown): void;
}

interface EngineConnInternals {
  readyState: string;
  upgrading: boolean;
  writeBuffer: unknown[];
  transport: EngineTransport;
}

/** ws's WebSocket.OPEN. */
const WS_OPEN = 1;

/** engine.io's Socket declares these private: read them through a structural view, checked at run time. */
function internalsOf(conn: object): EngineConnInternals | null {
  const c = conn as Partial<EngineConnInternals>;
  if (typeof c.readyState !== 'string' || typeof c.upgrading !== 'boolean') return null;
  if (!Array.isArray(c.writeBuffer) || typeof c.transport !== 'object' || c.transport === null) return null;
  return c as EngineConnInternals;
}

/**
 * Writes a pre-encoded frame straight to ws's sender. Returns false, having written nothing,
 * whenever any of engine.io's own preconditions does not hold: long-polling, upgrading, something
 * buffered, transport busy or closing, compression on, or ws's shape changed.
 *
 * No write callback, unlike engine.io (whose `_onSent` only reports errors): a socket write with a
 * callback costs Node a `nextTick` and an object per write (lib/internal/streams/writable.js,
 * `onwrite`), one per member per snapshot, about 5 % of the server's CPU. A failed write still
 * closes the connection: the socket emits 'error', on which ws destroys it, and engine.io sees
 * the WebSocket close.
 */
export function writeDirect(conn: EngineSocket, frame: readonly Buffer[]): boolean {
  const c = internalsOf(conn);
  if (!c || c.readyState !== 'open' || c.upgrading || c.writeBuffer.length !== 0) return false;
  const t = c.transport;
  if (t.name !== 'websocket' || !t.writable || t.perMessageDeflate) return false;
  const ws = t.socket;
  const sender = ws?._sender;
  if (!ws || ws.readyState !== WS_OPEN || typeof sender?.sendFrame !== 'function') return false;
  sender.sendFrame(frame);
  return true;
}

/** engine.io's supported path for a message with its WebSocket frame already built. */
export function writePreEncoded(conn: EngineSocket, data: Buffer, frame: readonly Buffer[]): void {
  // `wsPreEncodedFrame` is the option socket.io-adapter passes for the same purpose; engine.io's
  // typings do not list it. On long-polling engine.io ignores it and encodes `data`.
  const options: { compress: boolean; wsPreEncodedFrame: readonly Buffer[] } = {
    compress: false,
    wsPreEncodedFrame: frame,
  };
  conn.write(data, options);
}

/**
 * Routes the input frames of one engine.io connection to `onFrame` at the transport, for its
 * current transport and each one it upgrades to. Returns false (nothing hooked) when the transport
 * does not have the shape this relies on; the frames then travel the supported way, through
 * socket.io's decoder, as an `input` event carrying the bytes.
 */
export function interceptFrames(
  conn: EngineSocket,
  isFrame: (data: unknown) => data is Buffer,
  onFrame: (frame: Buffer) => void,
): boolean {
  const c = internalsOf(conn);
  if (!c) return false;
  const state: HookState = { conn: c, isFrame, onFrame, attachments: 0 };
  if (!hookTransport(state, c.transport)) return false;
  conn.on('upgrade', (transport: unknown) => {
    if (typeof transport === 'object' && transport !== null)
      hookTransport(state, transport as EngineTransport);
  });
  return true;
}

interface HookState {
  conn: EngineConnInternals;
  isFrame: (data: unknown) => data is Buffer;
  onFrame: (frame: Buffer) => void;
  /**
   * Binary messages still owed to socket.io's decoder: a binary event's text header (`51-[...]`)
   * announces how many attachments follow, and an attachment is never an input, whatever its first
   * byte. Kept per connection, across an upgrade.
   */
  attachments: number;
}

const hooked = Symbol('pong.inputHook');

function hookTransport(state: HookState, transport: EngineTransport & { [hooked]?: true }): boolean {
  if (typeof transport.onPacket !== 'function') return false;
  if (transport[hooked]) return true;
  const original = transport.onPacket;
  transport[hooked] = true;
  takeMessages(state, transport);
  transport.onPacket = function (this: EngineTransport, packet: EnginePacket): void {
    if (packet.type === 'message') {
      const data = packet.data;
      if (typeof data === 'string') {
        state.attachments = announcedAttachments(data);
      } else if (state.attachments > 0) {
        state.attachments -= 1;
      } else if (state.conn.readyState === 'open' && state.isFrame(data)) {
        // engine.io's socket drops packets unless it is open; so do we.
        state.onFrame(data);
        return;
      }
    }
    original.call(this, packet);
  };
  return true;
}

/**
 * Replaces engine.io's 'message' listener on a WebSocket transport's ws socket: an input frame
 * (binary, no attachment owed, socket open) goes to `onFrame` without the packet object, the
 * `debug()` call and the decode engine.io's listener makes for each message, 20 a second per player;
 * everything else goes to `transport.onData()` as engine.io's listener sends it (a binary message
 * as is, text as a string), and so through the onPacket hook. Only when engine.io registered
 * exactly one listener there; otherwise the onPacket hook alone takes the frames.
 */
function takeMessages(state: HookState, transport: EngineTransport): void {
  const ws = transport.socket;
  if (transport.name !== 'websocket' || !ws || typeof transport.onData !== 'function') return;
  if (typeof ws.listenerCount !== 'function' || typeof ws.listeners !== 'function') return;
  if (typeof ws.removeListener !== 'function' || typeof ws.on !== 'function') return;
  if (ws.listenerCount('message') !== 1) return;
  const [engineListener] = ws.listeners('message');
  if (!engineListener) return;
  ws.removeListener('message', engineListener);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary && state.attachments === 0 && state.conn.readyState === 'open' && state.isFrame(data)) {
      state.onFrame(data);
      return;
    }
    transport.onData?.(isBinary ? data : data.toString());
  });
}

/** Attachments a socket.io text packet announces: `5<n>-…` (binary event) or `6<n>-…` (binary ack). */
function announcedAttachments(text: string): number {
  const type = text.charCodeAt(0);
  if (type !== 0x35 && type !== 0x36) return 0;
  let n = 0;
  for (let i = 1; i < text.length && i < 12; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x2d) return n;
    if (c < 0x30 || c > 0x39) return 0;
    n = n * 10 + (c - 0x30);
  }
  // No '-': socket.io-parser refuses the packet and closes the connection.
  return 0;
}
