import type { z } from 'zod';
import {
  inputFrameIntent,
  inputFrameSeq,
  inputFrameTicks,
  validInputFrame,
} from '../../shared/codec/input-frame.ts';
import { ErrorCode, errorPayload } from '../../shared/protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/messages.ts';
import { handshakeSchema } from '../../shared/protocol/schemas.ts';
import type { Intent } from '../../shared/sim/types.ts';
import type { GameRoom } from '../rooms/game-room.ts';
import { interceptInputFrames } from '../transport/input-frames.ts';
import { handlers } from './handlers.ts';
import { checkProfile } from './profile-auth.ts';
import { Session, type AckFn, type GameSocket, type GatewayContext } from './session.ts';

export type { GameServer, GameSocket, SocketData } from './session.ts';

/** The table with its per-event types erased, for the dispatcher (handlers are typed where written). */
interface AnyHandler {
  schema: z.ZodType | null;
  ack: boolean;
  handle(session: Session, payload: unknown): unknown;
}
const table: Readonly<Record<string, AnyHandler>> = handlers;

/** Splits raw handler arguments into (payload, ack): the ack is the last argument when it is a function. */
function splitArgs(args: unknown[]): { payload: unknown; ack: AckFn | null } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as AckFn) : null;
  return { payload: ack && args.length === 1 ? undefined : args[0], ack };
}

/**
 * Every client message but the binary input frames: rate limit, known event, ack present, payload
 * valid, then the table's handler; every refusal answered the same way. Nothing thrown escapes.
 */
function dispatch(session: Session, event: unknown, args: unknown[]): void {
  const { payload, ack } = splitArgs(args);
  if (!session.admit(event === 'input', ack)) return;
  const handler = typeof event === 'string' && Object.hasOwn(table, event) ? table[event] : undefined;
  if (!handler) return session.reject(ErrorCode.UNKNOWN_EVENT, ack);
  try {
    // Input frames that came through socket.io's decoder (a transport that could not be hooked).
    if (event === 'input' && payload instanceof Uint8Array) return inputFrame(session, payload);
    if (event !== 'input') session.room()?.heard(session.id);
    if (handler.ack && !ack) return session.reject(ErrorCode.BAD_REQUEST, null);
    // An event without an ack in the protocol is answered with `server:error`, whatever was attached.
    const replyTo = handler.ack ? ack : null;
    let value: unknown = undefined;
    if (handler.schema) {
      const parsed = handler.schema.safeParse(payload);
      if (!parsed.success) {
        if (event === 'input') session.ctx.metrics.inputsDropped.inc({ reason: ErrorCode.BAD_REQUEST });
        return session.reject(ErrorCode.BAD_REQUEST, replyTo);
      }
      value = parsed.data;
    }
    const reply = handler.handle(session, value);
    if (!replyTo) return;
    if (reply instanceof Promise) {
      reply.then(replyTo, (err: unknown) => {
        session.log.error({ err, event }, 'handler failed');
        session.reject(ErrorCode.INTERNAL, replyTo);
      });
    } else replyTo(reply);
  } catch (err) {
    session.log.error({ err, event }, 'handler failed');
    session.reject(ErrorCode.INTERNAL, ack);
  }
}

/** A binary input frame: rate-limited like every message, checked by hand, no allocation. */
function inputFrame(session: Session, frame: Uint8Array): void {
  if (!validInputFrame(frame)) {
    session.ctx.metrics.inputsDropped.inc({ reason: ErrorCode.BAD_REQUEST });
    return session.reject(ErrorCode.BAD_REQUEST, null);
  }
  session.input(inputFrameSeq(frame), inputFrameIntent(frame) as Intent, inputFrameTicks(frame));
}

/** Removes every socket from a closed room's channel and tells them why. */
export function evictMembers(ctx: GatewayContext, room: GameRoom, reason: string): void {
  const channel = ctx.channels.get(room.code);
  for (const socket of channel?.sockets() ?? []) ctx.sessions.get(socket.id)?.evict(room.code, reason);
  ctx.channels.close(room.code);
}

/**
 * The thin layer between socket.io and the rooms: checks the protocol version at the handshake,
 * then hands every message to the dispatcher above and every input frame to the same input path.
 * A bad message gets an error code (in its ack, or a `server:error` event); nothing can throw out.
 */
export function attachGateway(ctx: GatewayContext): void {
  const { io, metrics } = ctx;

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
    const { playerId, secret } = auth.data;
    // Without a secret (or a store) the socket plays as an unrated guest, as before profiles.
    if (!ctx.store || playerId === undefined || secret === undefined) return next();
    checkProfile(ctx.store, playerId, secret, ctx.log).then(
      (check) => {
        if (!check.bad) {
          if (check.profile) socket.data.profile = check.profile;
          return next();
        }
        metrics.rejected.inc({ code: ErrorCode.BAD_CREDENTIALS });
        const err = new Error(ErrorCode.BAD_CREDENTIALS) as Error & { data?: unknown };
        err.data = errorPayload(ErrorCode.BAD_CREDENTIALS);
        next(err);
      },
      (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
    );
  });

  io.on('connection', (socket: GameSocket) => {
    const session = new Session(ctx, socket);
    ctx.sessions.set(socket.id, session);
    interceptInputFrames(socket.conn, (frame) => {
      metrics.hot.framesIntercepted += 1;
      try {
        if (session.admit(true, null)) inputFrame(session, frame);
      } catch (err) {
        session.log.error({ err }, 'input frame failed');
        session.reject(ErrorCode.INTERNAL, null);
      }
    });
    socket.onAny((event: unknown, ...args: unknown[]) => dispatch(session, event, args));
    socket.on('disconnect', (reason) => {
      ctx.sessions.delete(socket.id);
      session.leaveQueue();
      const room = session.room();
      session.leaveChannel();
      if (!room) return;
      room.leave(socket.id);
      session.log.info({ room: room.id, reason }, 'left room on disconnect');
    });
  });
}
