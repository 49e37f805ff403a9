import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import { ErrorCode, errorPayload } from '../../shared/protocol/errors.ts';
import {
  CLIENT_EVENTS,
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type Failure,
  type JoinOk,
  type RulesInfo,
  type ServerToClientEvents,
} from '../../shared/protocol/messages.ts';
import {
  createRoomSchema,
  handshakeSchema,
  inputSchema,
  joinRoomSchema,
  practiceSchema,
  queueSchema,
  watchSchema,
} from '../../shared/protocol/schemas.ts';
import type { RoomDirectory } from '../lobby/room-directory.ts';
import type { MatchmakingQueue, QueueEntry } from '../lobby/matchmaking-queue.ts';
import type { Clock } from '../rooms/clock.ts';
import type { GameRoom, RoomTransport } from '../rooms/game-room.ts';
import type { RoomManager } from '../rooms/room-manager.ts';
import type { ServerMetrics } from '../metrics.ts';
import { LOBBY_CHANNEL } from './lobby-publisher.ts';
import { prepareSnapshot, sendSnapshot } from './snapshot-fanout.ts';
import { decodeInputFrame, isInputFrame } from '../../shared/codec/input-frame.ts';
import { passedInputFrames } from '../../shared/codec/socket-parser.ts';
import { SOCKET_ABUSE_DROPS, SOCKET_BURST, SOCKET_MESSAGES_PER_S, TokenBucket } from './rate-limiter.ts';

export interface SocketData {
  code: string | null;
  /** The browser's player id from the handshake (one queue entry and one live seat per player). */
  playerId: string;
}
export type GameServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
type GameSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const DEFAULT_NICKNAME = 'Anonymous';

export interface GatewayDeps {
  io: GameServer;
  rooms: RoomManager;
  queue: MatchmakingQueue;
  directory: RoomDirectory;
  clock: Clock;
  log: FastifyBaseLogger;
  snapshotHz: number;
  metrics: ServerMetrics;
  /** False once the server is shutting down: no new rooms. */
  accepting: () => boolean;
}

const channel = (code: string) => `room:${code}`;

/** Binds a room to socket.io: the only place rooms meet sockets. */
export function roomTransport(io: GameServer, code: string, metrics: ServerMetrics): RoomTransport {
  const ch = channel(code);
  return {
    broadcastSnapshot: (bytes) => {
      const members = io.sockets.adapter.rooms.get(ch);
      if (!members) return;
      // Encoded once by the room, framed once here, then one write of the same buffer per member.
      const snap = prepareSnapshot(bytes);
      for (const id of members) {
        const socket = io.sockets.sockets.get(id);
        if (socket) sendSnapshot(socket.conn, snap);
      }
      metrics.snapshots.inc();
      metrics.snapshotBytes.inc(bytes.byteLength * members.size);
    },
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

/** Splits raw handler arguments into (payload, ack): the ack is the last argument when it is a function. */
function splitArgs(args: unknown[]): { payload: unknown; ack: ((res: unknown) => void) | null } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as (res: unknown) => void) : null;
  return { payload: ack && args.length === 1 ? undefined : args[0], ack };
}

/**
 * The thin layer between socket.io and the rooms: checks the protocol version at the handshake,
 * validates every inbound message against its schema, and maps events to rooms, the queue and the
 * lobby. A bad message gets an error code (in its ack, or a `server:error` event); no handler can
 * throw out of here.
 */
export function attachGateway(deps: GatewayDeps): void {
  const { io, rooms, queue, log, metrics } = deps;
  const rulesInfo = (): RulesInfo => ({ ...rooms.rules, snapshotHz: deps.snapshotHz });

  io.use((socket, next) => {
    const auth = handshakeSchema.safeParse(socket.handshake.auth);
    if (!auth.success || auth.data.v !== PROTOCOL_VERSION) {
      metrics.rejected.inc({ code: ErrorCode.PROTOCOL_MISMATCH });
      const err = new Error(ErrorCode.PROTOCOL_MISMATCH) as Error & { data?: unknown };
      err.data = errorPayload(ErrorCode.PROTOCOL_MISMATCH);
      next(err);
      return;
    }
    socket.data.playerId = auth.data.playerId ?? socket.id;
    next();
  });

  /** Seats a socket in a room and returns what its ack (or `queue:matched`) carries. */
  const seat = (
    socket: GameSocket,
    room: GameRoom,
    nickname: string | undefined,
    token: string | undefined,
    showCode: boolean,
    wantsSeat = true,
  ): JoinOk | Failure => {
    const outcome = room.join(
      socket.id,
      nickname ?? DEFAULT_NICKNAME,
      token,
      socket.data.playerId,
      wantsSeat,
    );
    if (!outcome.ok) return failure(outcome.error);
    if (outcome.replacedMemberId) {
      detach(
        io.sockets.sockets.get(outcome.replacedMemberId),
        room.code,
        'Your seat was taken over by a newer tab.',
      );
    }
    socket.data.code = room.code;
    void socket.join(channel(room.code));
    log.info({ socketId: socket.id, room: room.id, role: outcome.role }, 'joined room');
    return {
      ok: true,
      code: showCode || outcome.role !== 'spectator' ? room.code : null,
      role: outcome.role,
      token: outcome.token,
      rules: rulesInfo(),
      room: room.info(),
    };
  };

  const failure = (code: ErrorCode): Failure => {
    metrics.rejected.inc({ code });
    return { ok: false, error: code, message: errorPayload(code).message };
  };

  const matchQueued = (): void => {
    for (const { a, b } of queue.tryMatch()) {
      const sa = io.sockets.sockets.get(a.socketId);
      const sb = io.sockets.sockets.get(b.socketId);
      // queue:join refuses a player already in a live match, but they may have sat down in another
      // tab since they queued: pairing them would put them in two matches.
      const busy = (e: QueueEntry) => rooms.hasLiveSeat(e.playerId);
      if (
        !sa?.connected ||
        !sb?.connected ||
        sa.data.code !== null ||
        sb.data.code !== null ||
        busy(a) ||
        busy(b)
      ) {
        // One side vanished or is busy elsewhere: the other keeps waiting.
        for (const [s, e] of [
          [sa, a],
          [sb, b],
        ] as const) {
          if (!s?.connected || s.data.code !== null) continue;
          if (busy(e)) s.emit('queue:left', { reason: 'You are already playing in another tab.' });
          else queue.enqueue(e);
        }
        continue;
      }
      const room = rooms.create('public');
      const seated = (
        [
          [sa, a],
          [sb, b],
        ] as const
      ).map(([s, e]) => [s, seat(s, room, e.nickname, undefined, false)] as const);
      // Both are seated before either hears of it, so each sees the full roster at once.
      for (const [s, res] of seated) if (res.ok) s.emit('queue:matched', { ...res, room: room.info() });
    }
  };

  io.on('connection', (socket: GameSocket) => {
    socket.data.code = null;
    const slog = log.child({ socketId: socket.id });

    const reject = (code: ErrorCode, ack: ((res: unknown) => void) | null): void => {
      const f = failure(code);
      if (ack) ack(f);
      else socket.emit('server:error', { code: f.error, message: f.message });
    };
    // Every inbound packet passes the rate limiter first: excess is dropped (acked events hear
    // RATE_LIMITED), and a socket that keeps flooding is disconnected with a reason.
    const bucket = new TokenBucket(SOCKET_BURST, SOCKET_MESSAGES_PER_S, deps.clock.now());
    const abuse = new TokenBucket(SOCKET_ABUSE_DROPS, SOCKET_ABUSE_DROPS / 5, deps.clock.now());
    /** Rate-limits one inbound message; false when it is dropped (the caller then does nothing). */
    const admit = (event: unknown, ack: ((res: unknown) => void) | null): boolean => {
      const now = deps.clock.now();
      if (bucket.take(now)) return true;
      if (event === 'input') metrics.inputsDropped.inc({ reason: 'rate_limited' });
      if (!abuse.take(now)) {
        if (socket.connected) {
          metrics.disconnectedAbusers.inc();
          reject(ErrorCode.RATE_LIMITED, null);
          slog.warn('disconnecting a flooding client');
          socket.disconnect(true);
        }
        return false;
      }
      if (ack) reject(ErrorCode.RATE_LIMITED, ack);
      else metrics.rejected.inc({ code: ErrorCode.RATE_LIMITED });
      return false;
    };
    socket.use((packet, next) => {
      if (admit(packet[0], splitArgs(packet.slice(1)).ack)) next();
    });

    const currentRoom = (): GameRoom | undefined =>
      socket.data.code === null ? undefined : rooms.get(socket.data.code);

    /** Registers a handler that sees raw arguments and can never throw into socket.io. */
    const on = (
      event: string,
      handler: (payload: unknown, ack: ((res: unknown) => void) | null) => void,
      needsAck = true,
    ): void => {
      (socket as unknown as Socket).on(event, (...args: unknown[]) => {
        const { payload, ack } = splitArgs(args);
        try {
          if (needsAck && !ack) return reject(ErrorCode.BAD_REQUEST, null);
          handler(payload, ack);
        } catch (err) {
          slog.error({ err, event }, 'handler failed');
          reject(ErrorCode.INTERNAL, ack);
        }
      });
    };

    const enter = (
      room: GameRoom | undefined,
      nickname?: string,
      token?: string,
      showCode = true,
      wantsSeat = true,
    ) => {
      if (!room) return failure(ErrorCode.ROOM_NOT_FOUND);
      if (socket.data.code !== null) return failure(ErrorCode.ALREADY_IN_ROOM);
      // One live match per player: a second tab cannot take a public seat (its own seat comes back by token).
      if (wantsSeat && !token && room.kind === 'public' && rooms.hasLiveSeat(socket.data.playerId)) {
        return failure(ErrorCode.ALREADY_IN_ROOM);
      }
      queue.removeSocket(socket.id);
      return seat(socket, room, nickname, token, showCode, wantsSeat);
    };

    on('room:create', (payload, ack) => {
      const req = createRoomSchema.safeParse(payload);
      if (!req.success) return reject(ErrorCode.BAD_REQUEST, ack);
      if (socket.data.code !== null) return reject(ErrorCode.ALREADY_IN_ROOM, ack);
      if (!deps.accepting()) return reject(ErrorCode.SERVER_SHUTTING_DOWN, ack);
      ack?.(enter(rooms.create('private'), req.data.nickname));
    });

    on('room:join', (payload, ack) => {
      const req = joinRoomSchema.safeParse(payload);
      if (!req.success) return reject(ErrorCode.BAD_REQUEST, ack);
      ack?.(enter(rooms.get(req.data.code), req.data.nickname, req.data.token));
    });

    on('room:watch', (payload, ack) => {
      const req = watchSchema.safeParse(payload);
      if (!req.success) return reject(ErrorCode.BAD_REQUEST, ack);
      const room = rooms.getById(req.data.id);
      // Private rooms are reachable only with their code.
      ack?.(
        enter(
          room?.kind === 'private' ? undefined : room,
          req.data.nickname,
          undefined,
          false,
          req.data.play === true,
        ),
      );
    });

    on('practice:create', (payload, ack) => {
      const req = practiceSchema.safeParse(payload);
      if (!req.success) return reject(ErrorCode.BAD_REQUEST, ack);
      if (socket.data.code !== null) return reject(ErrorCode.ALREADY_IN_ROOM, ack);
      if (!deps.accepting()) return reject(ErrorCode.SERVER_SHUTTING_DOWN, ack);
      const room = rooms.create('practice');
      const res = enter(room, req.data.nickname);
      if (res.ok) rooms.addComputer(room, req.data.level);
      else room.close('practice set-up failed');
      ack?.(res.ok ? { ...res, room: room.info() } : res);
    });

    on('room:leave', (_payload, ack) => {
      const room = currentRoom();
      if (!room) return reject(ErrorCode.NOT_IN_ROOM, ack);
      room.leave(socket.id);
      void socket.leave(channel(room.code));
      socket.data.code = null;
      ack?.({ ok: true });
    });

    on('room:rematch', (_payload, ack) => {
      const room = currentRoom();
      if (!room) return reject(ErrorCode.NOT_IN_ROOM, ack);
      const error = room.rematch(socket.id);
      if (error) return reject(error, ack);
      ack?.({ ok: true });
    });

    on('queue:join', (payload, ack) => {
      const req = queueSchema.safeParse(payload);
      if (!req.success) return reject(ErrorCode.BAD_REQUEST, ack);
      if (socket.data.code !== null || rooms.hasLiveSeat(socket.data.playerId)) {
        return reject(ErrorCode.ALREADY_IN_ROOM, ack);
      }
      if (!deps.accepting()) return reject(ErrorCode.SERVER_SHUTTING_DOWN, ack);
      const replaced = queue.enqueue({
        playerId: socket.data.playerId,
        socketId: socket.id,
        nickname: req.data.nickname ?? DEFAULT_NICKNAME,
        enqueuedAtMs: deps.clock.now(),
      });
      if (replaced && replaced.socketId !== socket.id) {
        io.sockets.sockets
          .get(replaced.socketId)
          ?.emit('queue:left', { reason: 'You started searching in another tab.' });
      }
      ack?.({ ok: true });
      matchQueued();
    });

    on('queue:leave', (_payload, ack) => {
      if (!queue.removeSocket(socket.id)) return reject(ErrorCode.NOT_QUEUED, ack);
      ack?.({ ok: true });
    });

    on('lobby:subscribe', (_payload, ack) => {
      void socket.join(LOBBY_CHANNEL);
      ack?.(deps.directory.list());
    });

    on('lobby:unsubscribe', () => void socket.leave(LOBBY_CHANNEL), false);

    /** The hot path: validated like every message, refused with a code, never thrown. */
    const onInput = (payload: unknown): void => {
      metrics.inputsReceived.inc();
      const msg = inputSchema.safeParse(payload);
      const room = currentRoom();
      const error = !msg.success
        ? ErrorCode.BAD_REQUEST
        : !room
          ? ErrorCode.NOT_IN_ROOM
          : room.input(socket.id, msg.data[0], msg.data[1], msg.data[2]);
      if (error) {
        metrics.inputsDropped.inc({ reason: error });
        reject(error, null);
      }
    };
    // JSON inputs (any client may still send them) go through socket.io like other events...
    on('input', onInput, false);
    // ...while the client's binary input frames are read right off the connection, skipping
    // socket.io's decoding, middleware and event dispatch (its decoder ignores them).
    socket.conn.on('data', (data: unknown) => {
      // socket.io's decoder has seen this message first: only frames it passed over are inputs.
      if (!isInputFrame(data) || !passedInputFrames.has(data)) return;
      try {
        if (admit('input', null)) onInput(decodeInputFrame(data));
      } catch (err) {
        slog.error({ err }, 'input frame failed');
        reject(ErrorCode.INTERNAL, null);
      }
    });

    on('time:ping', (_payload, ack) => ack?.(deps.clock.now()));

    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event !== 'string' || !CLIENT_EVENTS.has(event)) {
        reject(ErrorCode.UNKNOWN_EVENT, splitArgs(args).ack);
      }
    });

    socket.on('disconnect', (reason) => {
      queue.removeSocket(socket.id);
      const code = socket.data.code;
      if (code === null) return;
      socket.data.code = null;
      const room = rooms.get(code);
      room?.leave(socket.id);
      slog.info({ room: room?.id, reason }, 'left room on disconnect');
    });
  });
}
