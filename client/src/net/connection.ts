import { io, type Socket } from 'socket.io-client';
import * as parser from '../../../shared/codec/socket-parser.ts';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '../../../shared/protocol/messages.ts';

/**
 * How long one connection attempt may take before socket.io tries again (its default is 20 s): a
 * game would rather retry a dead link soon.
 */
export const CONNECT_TIMEOUT_MS = 5000;
/** engine.io's path and protocol, as socket.io-client's defaults use them. */
const ENGINE_PATH = '/socket.io/';
const ENGINE_PROTOCOL = 4;
/** engine.io's close packet, as a long-polling POST body. */
const ENGINE_CLOSE_PACKET = '1';
/** The connect_error code for a secret that does not match its player id (docs/PROTOCOL.md). */
const BAD_CREDENTIALS = 'BAD_CREDENTIALS';

export type GameSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectOptions {
  /** 'polling' forces HTTP long-polling only (what a WebSocket-blocking proxy leaves). */
  transport?: 'websocket' | 'polling' | 'auto';
  /** The browser's player id (kept in localStorage): one queue entry per player across tabs. */
  playerId?: string;
  /** The profile secret that proves `playerId` (rated play); without it the socket plays as a guest. */
  secret?: string;
}

/** The handshake's `auth`: the protocol version, and the profile when there is one. */
export function handshakeAuth(opts: Pick<ConnectOptions, 'playerId' | 'secret'>): Record<string, unknown> {
  const auth: Record<string, unknown> = { v: PROTOCOL_VERSION };
  if (opts.playerId) auth.playerId = opts.playerId;
  if (opts.playerId && opts.secret) auth.secret = opts.secret;
  return auth;
}

/** The server refused the handshake because the secret does not match the player id. */
export function isBadCredentials(err: Error): boolean {
  const data = (err as Error & { data?: { code?: unknown } }).data;
  return data?.code === BAD_CREDENTIALS;
}

/** Opens the game's socket.io connection with the one-frame snapshot parser and the protocol version. */
export function connect(url: string, opts: ConnectOptions = {}): GameSocket {
  const transports =
    opts.transport === 'polling'
      ? ['polling']
      : opts.transport === 'websocket'
        ? ['websocket']
        : ['websocket', 'polling'];
  return io(url, {
    parser,
    auth: handshakeAuth(opts),
    transports,
    tryAllTransports: true,
    reconnectionDelay: 250,
    reconnectionDelayMax: 2000,
    timeout: CONNECT_TIMEOUT_MS,
  });
}

/**
 * Gives up on a connection that has gone silent and opens a new one; the page's `connect` handler
 * then takes its seat back with its token.
 *
 * Not `socket.io.engine.close()`: over long-polling it waits for the POST in flight to finish (which
 * a frozen link never does) before it closes. Disconnecting the socket closes the manager at once;
 * connecting it again opens a fresh engine, and socket.io's usual reconnection (with back-off and
 * CONNECT_TIMEOUT_MS per attempt) takes over if that attempt fails too.
 */
export function reconnectNow(socket: GameSocket): void {
  if (!socket.connected) return; // socket.io is already reconnecting.
  socket.disconnect();
  socket.connect();
}

/**
 * Tells the server at once that this page is going away (pagehide: closed, reloaded, navigated off).
 * Over WebSocket closing the socket sends a close frame. Over long-polling there is often no request
 * in flight whose abort the server would notice, and an XHR started now may never leave the page:
 * a beacon posts engine.io's close packet for this session, which engine.io's polling transport
 * reads as the client closing (it parses any non-binary POST body as text payload). The server
 * treats it as a drop and holds the seat, so a reload still takes it back.
 */
export function leaveOnPageHide(socket: GameSocket, origin: string): void {
  const engine = socket.io.engine as typeof socket.io.engine | undefined;
  if (!engine || !socket.connected) return;
  if (engine.transport.name === 'polling' && engine.id) {
    const node = nodeOf(socket);
    const query =
      `EIO=${ENGINE_PROTOCOL}&transport=polling&sid=${encodeURIComponent(engine.id)}` +
      (node ? `&node=${encodeURIComponent(node)}` : '');
    navigator.sendBeacon(`${origin}${ENGINE_PATH}?${query}`, ENGINE_CLOSE_PACKET);
  } else {
    engine.close();
  }
}

/** The node this socket asks the balancer for (`?node=`), or null to go wherever it sends it. */
export function nodeOf(socket: GameSocket): string | null {
  const query = socket.io.opts.query as Record<string, string> | undefined;
  return query?.node ?? null;
}

/**
 * Several nodes behind one balancer: reconnects this socket to `node` (the balancer routes on
 * `?node=`), or through the balancer wherever it sends it (null). The page's `connect` handler then
 * enters its room again.
 */
export function moveToNode(socket: GameSocket, node: string | null): void {
  socket.io.opts.query = node ? { node } : {};
  socket.disconnect();
  socket.connect();
}
