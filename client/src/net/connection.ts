import { io, type Socket } from 'socket.io-client';
import * as parser from '../../../shared/codec/socket-parser.ts';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '../../../shared/protocol/messages.ts';

export type GameSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectOptions {
  /** 'polling' forces HTTP long-polling only (what a WebSocket-blocking proxy leaves). */
  transport?: 'websocket' | 'polling' | 'auto';
  /** The browser's player id (kept in localStorage): one queue entry per player across tabs. */
  playerId?: string;
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
    auth: opts.playerId ? { v: PROTOCOL_VERSION, playerId: opts.playerId } : { v: PROTOCOL_VERSION },
    transports,
    tryAllTransports: true,
    reconnectionDelay: 250,
    reconnectionDelayMax: 2000,
  });
}
