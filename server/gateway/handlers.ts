import type { z } from 'zod';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import type { Ack, ClientToServerEvents, Failure, JoinOk } from '../../shared/protocol/messages.ts';
import {
  createRoomSchema,
  inputSchema,
  joinRoomSchema,
  practiceSchema,
  queueSchema,
  watchSchema,
} from '../../shared/protocol/schemas.ts';
import { LOBBY_CHANNEL } from './lobby-publisher.ts';
import type { RoomRoute } from '../cluster/room-ownership.ts';
import type { GameRoom } from '../rooms/game-room.ts';
import { failure, type Session } from './session.ts';

export type ClientEvent = keyof ClientToServerEvents;
type Args<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>;
/** What an event's ack carries; `never` for events without an ack. */
export type ReplyOf<E extends ClientEvent> = Args<E> extends [...unknown[], Ack<infer R>] ? R : never;
/** The payload an event carries before its ack; `undefined` for events with none. */
export type PayloadOf<E extends ClientEvent> = Args<E> extends [] | [Ack<never>] ? undefined : Args<E>[0];
type HasAck<E extends ClientEvent> = [ReplyOf<E>] extends [never] ? false : true;

/** One row of the table: how an event is validated, whether it must carry an ack, and what it does. */
export interface Handler<E extends ClientEvent> {
  /** zod at the JSON boundary; null for events that carry no payload. */
  schema: z.ZodType<PayloadOf<E>> | null;
  /** Whether the client must pass an ack (from the event map; a missing one is BAD_REQUEST). */
  ack: HasAck<E>;
  /** Runs with the validated payload; what it returns is the ack's reply. Never called with bad input. */
  handle(session: Session, payload: PayloadOf<E>): ReplyOf<E> | Promise<ReplyOf<E>> | void;
}

export type HandlerTable = { [E in ClientEvent]: Handler<E> };

const DEFAULT_NICKNAME = 'Anonymous';

interface SeatOptions {
  nickname?: string;
  token?: string;
  /** Whether the ack shows the room's code to a spectator (those who came with the code). */
  showCode: boolean;
  /** False to watch even when a seat is free. */
  wantsSeat: boolean;
}

/** Seats a socket in a room and returns what its ack (or `queue:matched`) carries. */
export function seat(session: Session, room: GameRoom, opts: SeatOptions): JoinOk | Failure {
  const { ctx, socket } = session;
  const outcome = room.join(socket.id, {
    nickname: opts.nickname ?? DEFAULT_NICKNAME,
    token: opts.token,
    playerId: session.playerId,
    profileId: session.profileId,
    wantsSeat: opts.wantsSeat,
  });
  if (!outcome.ok) return failure(ctx.metrics, outcome.error);
  if (outcome.role !== 'spectator') session.noteNickname(opts.nickname);
  if (outcome.replacedMemberId) {
    const previous = ctx.sessions.get(outcome.replacedMemberId);
    previous?.evict(room.code, 'Your seat was taken over by a newer tab.');
  }
  session.enterChannel(room);
  session.log.info({ room: room.id, role: outcome.role }, 'joined room');
  return {
    ok: true,
    code: opts.showCode || outcome.role !== 'spectator' ? room.code : null,
    role: outcome.role,
    token: outcome.token,
    rules: ctx.rules,
    room: room.info(),
    node: ctx.nodeId,
  };
}

/** Enters an existing room, or says why not. */
function enter(session: Session, room: GameRoom | undefined, opts: SeatOptions): JoinOk | Failure {
  const { ctx } = session;
  if (!room) return failure(ctx.metrics, ErrorCode.ROOM_NOT_FOUND);
  if (session.code !== null) return failure(ctx.metrics, ErrorCode.ALREADY_IN_ROOM);
  // One live match per player: a second tab cannot take a public seat (its own seat comes back by token).
  if (opts.wantsSeat && !opts.token && room.kind === 'public' && ctx.rooms.hasLiveSeat(session.playerId)) {
    return failure(ctx.metrics, ErrorCode.ALREADY_IN_ROOM);
  }
  session.leaveQueue();
  return seat(session, room, opts);
}

/**
 * Finds a room that is not on this node (several nodes): the owner's node in a ROOM_ELSEWHERE
 * failure, or the room itself when this node resumed it from its checkpoint.
 */
async function located(
  session: Session,
  key: { code: string } | { id: string },
  then: (room: GameRoom) => JoinOk | Failure,
): Promise<JoinOk | Failure> {
  const { ctx } = session;
  if (!ctx.ownership) return failure(ctx.metrics, ErrorCode.ROOM_NOT_FOUND);
  let route: RoomRoute;
  try {
    route = await ctx.ownership.route(key);
  } catch (err) {
    // Redis is away: the client tries again shortly.
    session.log.warn({ err }, 'could not locate a room');
    return failure(ctx.metrics, ErrorCode.ROOM_ELSEWHERE);
  }
  if (route.kind === 'missing') return failure(ctx.metrics, ErrorCode.ROOM_NOT_FOUND);
  if (route.kind === 'elsewhere') {
    const f = failure(ctx.metrics, ErrorCode.ROOM_ELSEWHERE);
    return route.node ? { ...f, node: route.node } : f;
  }
  // socket.io#4067: the socket may have gone while we awaited; never seat a socket that left.
  if (!session.socket.connected) return failure(ctx.metrics, ErrorCode.NOT_IN_ROOM);
  return then(route.room);
}

/** Refusals shared by the events that create a room. */
function mayCreate(session: Session): Failure | null {
  if (session.code !== null) return failure(session.ctx.metrics, ErrorCode.ALREADY_IN_ROOM);
  if (!session.ctx.accepting()) return failure(session.ctx.metrics, ErrorCode.SERVER_SHUTTING_DOWN);
  return null;
}

/**
 * Every event a client may send, keyed by name and typed from the event map. The dispatcher
 * (socket-gateway.ts) rate-limits, checks the ack, validates with `schema`, and answers errors once;
 * a handler only ever sees a valid payload and returns its reply.
 */
export const handlers: HandlerTable = {
  'room:create': {
    schema: createRoomSchema,
    ack: true,
    handle: async (session, req) => {
      const refused = mayCreate(session);
      if (refused) return refused;
      const room = session.ctx.rooms.create('private');
      // Several nodes: the invite link must work from any node as soon as the creator has it.
      if (session.ctx.ownership) {
        // The creator's seat is held while the room registers in Redis: a room with nobody in it
        // and no seat held closes on its next tick, and registering may take longer than a tick.
        const held = room.hold({
          nickname: req.nickname ?? DEFAULT_NICKNAME,
          playerId: session.playerId,
          profileId: session.profileId,
        });
        await session.ctx.ownership.settled(room);
        // socket.io#4067: never seat a socket that left while we awaited.
        if (!session.socket.connected) {
          room.close('its creator left');
          return failure(session.ctx.metrics, ErrorCode.NOT_IN_ROOM);
        }
        const opts = { nickname: req.nickname, token: held.token, showCode: true, wantsSeat: true };
        return enter(session, room, opts);
      }
      return enter(session, room, { nickname: req.nickname, showCode: true, wantsSeat: true });
    },
  },
  'room:join': {
    schema: joinRoomSchema,
    ack: true,
    handle: (session, req) => {
      const opts: SeatOptions = { nickname: req.nickname, token: req.token, showCode: true, wantsSeat: true };
      const room = session.ctx.rooms.get(req.code);
      if (room || !session.ctx.ownership) return enter(session, room, opts);
      return located(session, { code: req.code }, (found) => enter(session, found, opts));
    },
  },
  'room:watch': {
    schema: watchSchema,
    ack: true,
    handle: (session, req) => {
      const opts: SeatOptions = { nickname: req.nickname, showCode: false, wantsSeat: req.play === true };
      // Private rooms are reachable only with their code.
      const watchable = (room: GameRoom | undefined) => (room?.kind === 'private' ? undefined : room);
      const room = session.ctx.rooms.getById(req.id);
      if (room || !session.ctx.ownership) return enter(session, watchable(room), opts);
      return located(session, { id: req.id }, (found) => enter(session, watchable(found), opts));
    },
  },
  'practice:create': {
    schema: practiceSchema,
    ack: true,
    handle: (session, req) => {
      const refused = mayCreate(session);
      if (refused) return refused;
      const { rooms } = session.ctx;
      const room = rooms.create('practice');
      const res = enter(session, room, { nickname: req.nickname, showCode: true, wantsSeat: true });
      if (!res.ok) {
        room.close('practice set-up failed');
        return res;
      }
      rooms.addComputer(room, req.level);
      return { ...res, room: room.info() };
    },
  },
  'room:leave': {
    schema: null,
    ack: true,
    handle: (session) => {
      const room = session.room();
      if (!room) return failure(session.ctx.metrics, ErrorCode.NOT_IN_ROOM);
      room.leave(session.id);
      session.leaveChannel();
      return { ok: true };
    },
  },
  'room:rematch': {
    schema: null,
    ack: true,
    handle: (session) => {
      const room = session.room();
      if (!room) return failure(session.ctx.metrics, ErrorCode.NOT_IN_ROOM);
      const error = room.rematch(session.id);
      return error ? failure(session.ctx.metrics, error) : { ok: true };
    },
  },
  'queue:join': {
    schema: queueSchema,
    ack: true,
    handle: async (session, req) => {
      const { ctx } = session;
      if (session.code !== null || !ctx.quickMatch.mayQueue(session.playerId)) {
        return failure(ctx.metrics, ErrorCode.ALREADY_IN_ROOM);
      }
      if (!ctx.accepting()) return failure(ctx.metrics, ErrorCode.SERVER_SHUTTING_DOWN);
      // Paired by rating: a profile's current one, DEFAULT_RATING for a guest.
      const rating = await session.rating();
      if (!session.socket.connected) return failure(ctx.metrics, ErrorCode.NOT_QUEUED);
      const replaced = await ctx.quickMatch.join({
        playerId: session.playerId,
        socketId: session.id,
        nickname: req.nickname ?? DEFAULT_NICKNAME,
        rating,
      });
      if (replaced && replaced.socketId !== session.id) {
        // The other tab may be on another node: the adapter delivers to it wherever it is.
        ctx.io.to(replaced.socketId).emit('queue:left', { reason: 'You started searching in another tab.' });
      }
      // Pair after the ack has gone out, so `queue:matched` always follows it.
      setImmediate(() => ctx.pairer.request());
      return { ok: true };
    },
  },
  'queue:leave': {
    schema: null,
    ack: true,
    handle: async (session) =>
      (await session.ctx.quickMatch.leave(session.id))
        ? { ok: true }
        : failure(session.ctx.metrics, ErrorCode.NOT_QUEUED),
  },
  'lobby:subscribe': {
    schema: null,
    ack: true,
    handle: async (session) => {
      const rooms = await session.ctx.directory.list();
      // socket.io#4067: never join after an await without checking the socket is still there.
      if (session.socket.connected) void session.socket.join(LOBBY_CHANNEL);
      return rooms;
    },
  },
  'lobby:unsubscribe': {
    schema: null,
    ack: false,
    handle: (session) => void session.socket.leave(LOBBY_CHANNEL),
  },
  input: {
    schema: inputSchema,
    ack: false,
    handle: (session, [seq, intent, ticks]) => session.input(seq, intent, ticks),
  },
  'time:ping': {
    schema: null,
    ack: true,
    handle: (session) => session.ctx.clock.now(),
  },
};
