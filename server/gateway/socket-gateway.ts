import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import { ErrorCode, errorPayload } from '../../shared/protocol/errors.ts';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type Failure,
  type JoinResult,
  type RulesInfo,
  type ServerToClientEvents,
} from '../../shared/protocol/messages.ts';
import { createRoomSchema, inputSchema, joinRoomSchema } from '../../shared/protocol/schemas.ts';
import type { Clock } from '../rooms/clock.ts';
import type { GameRoom, RoomTransport } from '../rooms/game-room.ts';
import type { RoomManager } from '../rooms/room-manager.ts';

export interface SocketData {
  code: string | null;
}
export type GameServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
type GameSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const DEFAULT_NICKNAME = 'Anonymous';
const KNOWN_EVENTS = new Set<string>(['room:create', 'room:join', 'room:leave', 'input', 'time:ping']);

export interface GatewayDeps {
  io: GameServer;
  rooms: RoomManager;
  clock: Clock;
  log: FastifyBaseLogger;
  snapshotHz: number;
  /** Counted per rejected message, by error code. */
  onRejected?: (code: ErrorCode) => void;
  /** False once the server is shutting down: no new rooms. */
  accepting: () => boolean;
}

const channel = (code: string) => `room:${code}`;

/** Binds a room to socket.io: the only place rooms meet sockets. */
export function roomTransport(io: GameServer, code: string): RoomTransport {
  const ch = channel(code);
  return {
    broadcastSnapshot: (bytes) => io.to(ch).emit('snapshot', bytes),
    broadcastState: (info) => io.to(ch).emit('room:state', info),
    sendSnapshot: (memberId, bytes) => io.to(memberId).emit('snapshot', bytes),
  };
}

/** Removes every socket from a closed room and tells them why. */
export function evictMembers(io: GameServer, room: GameRoom, reason: string): void {
  for (const id of room.memberIds()) detach(io.sockets.sockets.get(id), room.code, reason);
}

function detach(socket: GameSocket | undefined, code: string, reason: string): void {
  if (!socket || socket.data.code !== code) return;
  socket.data.code = null;
  void socket.leave(channel(code));
  socket.emit('room:left', { reason });
}

/**
 * The thin layer between socket.io and the rooms: checks the protocol version at the handshake,
 * validates every inbound message against its schema, and maps events to room calls. A bad
 * message gets an error code (in its ack, or a `server:error` event); no handler can throw out.
 */
export function attachGateway(deps: GatewayDeps): void {
  const { io, rooms, log } = deps;
  const rulesInfo = (): RulesInfo => ({ ...rooms.rules, snapshotHz: deps.snapshotHz });

  io.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const v = typeof auth === 'object' && auth !== null ? (auth as { v?: unknown }).v : undefined;
    if (v !== PROTOCOL_VERSION) {
      deps.onRejected?.(ErrorCode.PROTOCOL_MISMATCH);
      const err = new Error(ErrorCode.PROTOCOL_MISMATCH) as Error & { data?: unknown };
      err.data = errorPayload(ErrorCode.PROTOCOL_MISMATCH);
      next(err);
      return;
    }
    next();
  });

  io.on('connection', (socket: GameSocket) => {
    socket.data.code = null;
    const slog = log.child({ socketId: socket.id });

    const reject = (code: ErrorCode, ack?: unknown): void => {
      deps.onRejected?.(code);
      const failure: Failure = { ok: false, error: code, message: errorPayload(code).message };
      if (typeof ack === 'function') (ack as (f: Failure) => void)(failure);
      else socket.emit('server:error', errorPayload(code));
    };

    /** Registers a handler that sees raw arguments and can never throw into socket.io. */
    const on = (event: string, handler: (args: unknown[]) => void): void => {
      (socket as unknown as Socket).on(event, (...args: unknown[]) => {
        try {
          handler(args);
        } catch (err) {
          slog.error({ err, event }, 'handler failed');
          reject(ErrorCode.INTERNAL, args[args.length - 1]);
        }
      });
    };

    const enterRoom = (
      room: GameRoom,
      nickname: string | undefined,
      token: string | undefined,
      ack: unknown,
    ) => {
      if (typeof ack !== 'function') return reject(ErrorCode.BAD_REQUEST);
      if (socket.data.code !== null) return reject(ErrorCode.ALREADY_IN_ROOM, ack);
      if (!socket.connected) return;
      const outcome = room.join(socket.id, nickname ?? DEFAULT_NICKNAME, token);
      if (!outcome.ok) return reject(outcome.error, ack);
      if (outcome.replacedMemberId) {
        detach(
          io.sockets.sockets.get(outcome.replacedMemberId),
          room.code,
          'Your seat was taken over by a newer tab.',
        );
      }
      socket.data.code = room.code;
      void socket.join(channel(room.code));
      slog.info({ room: room.code, role: outcome.role }, 'joined room');
      const result: JoinResult = {
        ok: true,
        code: room.code,
        role: outcome.role,
        token: outcome.token,
        rules: rulesInfo(),
        room: room.info(),
      };
      (ack as (r: JoinResult) => void)(result);
    };

    on('room:create', ([payload, ack]) => {
      const req = createRoomSchema.safeParse(payload);
      if (!req.success) return reject(ErrorCode.BAD_REQUEST, ack);
      if (typeof ack !== 'function') return reject(ErrorCode.BAD_REQUEST);
      if (socket.data.code !== null) return reject(ErrorCode.ALREADY_IN_ROOM, ack);
      if (!deps.accepting()) return reject(ErrorCode.SERVER_SHUTTING_DOWN, ack);
      enterRoom(rooms.create('private'), req.data.nickname, undefined, ack);
    });

    on('room:join', ([payload, ack]) => {
      const req = joinRoomSchema.safeParse(payload);
      if (!req.success) return reject(ErrorCode.BAD_REQUEST, ack);
      const room = rooms.get(req.data.code);
      if (!room) return reject(ErrorCode.ROOM_NOT_FOUND, ack);
      enterRoom(room, req.data.nickname, req.data.token, ack);
    });

    on('room:leave', ([ack]) => {
      const room = socket.data.code === null ? undefined : rooms.get(socket.data.code);
      if (!room) return reject(ErrorCode.NOT_IN_ROOM, ack);
      room.leave(socket.id);
      void socket.leave(channel(room.code));
      socket.data.code = null;
      if (typeof ack === 'function') ack({ ok: true });
    });

    on('input', ([payload]) => {
      const msg = inputSchema.safeParse(payload);
      if (!msg.success) return reject(ErrorCode.BAD_REQUEST);
      const room = socket.data.code === null ? undefined : rooms.get(socket.data.code);
      if (!room) return reject(ErrorCode.NOT_IN_ROOM);
      const [seq, intent, ticks] = msg.data;
      const error = room.input(socket.id, seq, intent, ticks);
      if (error) reject(error);
    });

    on('time:ping', ([ack]) => {
      if (typeof ack !== 'function') return reject(ErrorCode.BAD_REQUEST);
      ack(deps.clock.now());
    });

    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event !== 'string' || !KNOWN_EVENTS.has(event)) reject(ErrorCode.UNKNOWN_EVENT, args.at(-1));
    });

    socket.on('disconnect', (reason) => {
      const code = socket.data.code;
      if (code === null) return;
      socket.data.code = null;
      rooms.get(code)?.leave(socket.id);
      slog.info({ room: code, reason }, 'left room on disconnect');
    });
  });
}
