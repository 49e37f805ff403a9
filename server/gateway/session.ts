import type { FastifyBaseLogger } from 'fastify';
import type { Server, Socket } from 'socket.io';
import { ErrorCode, errorPayload } from '../../shared/protocol/errors.ts';
import type {
  ClientToServerEvents,
  Failure,
  RulesInfo,
  ServerToClientEvents,
} from '../../shared/protocol/messages.ts';
import { DEFAULT_RATING } from '../../shared/constants.ts';
import type { Intent } from '../../shared/sim/types.ts';
import type { QueuePairer } from './queue-pairer.ts';
import type { RoomOwnership } from '../cluster/room-ownership.ts';
import type { QuickMatch } from '../lobby/quick-match.ts';
import type { RoomDirectory } from '../lobby/room-directory.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { Clock } from '../rooms/clock.ts';
import type { GameRoom } from '../rooms/game-room.ts';
import type { RoomManager } from '../rooms/room-manager.ts';
import type { Store } from '../store/types.ts';
import type { RoomChannels } from '../transport/room-channels.ts';
import { SOCKET_ABUSE_DROPS, SOCKET_BURST, SOCKET_MESSAGES_PER_S, TokenBucket } from './rate-limiter.ts';

/** A socket's verified profile (its id is the playerId): what pairing and seating need of it. */
export interface SessionProfile {
  id: string;
  /** As of the handshake, refreshed when the player queues. */
  rating: number;
  nickname: string;
}

/**
 * What socket.io keeps per socket (the admin UI shows it; it must hold no null: the UI's proxy
 * breaks on one). The room a socket is in lives in its Session.
 */
export interface SocketData {
  /** The browser's player id from the handshake (one queue entry and one live seat per player). */
  playerId: string;
  /** Set when the handshake proved the profile's secret; absent for a guest (or without a store). */
  profile?: SessionProfile;
}
export type GameServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type GameSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type AckFn = (res: unknown) => void;

/** Everything the handlers reach, shared by every connection. */
export interface GatewayContext {
  io: GameServer;
  /** Every connected socket's session, by socket id. */
  sessions: Map<string, Session>;
  rooms: RoomManager;
  channels: RoomChannels;
  quickMatch: QuickMatch;
  directory: RoomDirectory;
  clock: Clock;
  log: FastifyBaseLogger;
  metrics: ServerMetrics;
  rules: RulesInfo;
  /** This node's id (`NODE_ID`; one process: its default). */
  nodeId: string;
  pairer: QueuePairer;
  /** Rooms under leases in Redis (several nodes); null for one process on its own. */
  ownership: RoomOwnership | null;
  /** False once the server is shutting down: no new rooms. */
  accepting: () => boolean;
  /** Profiles, ratings and match records; null runs every match unrated, without profiles. */
  store: Store | null;
}

/**
 * One connection's state: its socket, its rate limiters, and the room it is in. Handlers get it
 * with the validated payload; it owns no listener of its own.
 */
export class Session {
  readonly log: FastifyBaseLogger;
  // Every inbound message passes the rate limiter first: excess is dropped (acked events hear
  // RATE_LIMITED), and a socket that keeps flooding is disconnected with a reason.
  private readonly bucket: TokenBucket;
  private readonly abuse: TokenBucket;
  private roomCode: string | null = null;

  constructor(
    readonly ctx: GatewayContext,
    readonly socket: GameSocket,
  ) {
    this.log = ctx.log.child({ socketId: socket.id });
    const now = ctx.clock.now();
    this.bucket = new TokenBucket(SOCKET_BURST, SOCKET_MESSAGES_PER_S, now);
    this.abuse = new TokenBucket(SOCKET_ABUSE_DROPS, SOCKET_ABUSE_DROPS / 5, now);
  }

  get id(): string {
    return this.socket.id;
  }

  get playerId(): string {
    return this.socket.data.playerId;
  }

  /** The code of the room this socket is in. */
  get code(): string | null {
    return this.roomCode;
  }

  /** The verified profile's id, or null for a guest. */
  get profileId(): string | null {
    return this.socket.data.profile?.id ?? null;
  }

  /** The rating to pair by: the profile's current one (read again from the store), else DEFAULT_RATING. */
  async rating(): Promise<number> {
    const profile = this.socket.data.profile;
    const { store } = this.ctx;
    if (!profile || !store) return DEFAULT_RATING;
    try {
      const fresh = await store.getProfile(profile.id);
      if (fresh) profile.rating = fresh.rating;
    } catch (err) {
      this.log.warn({ err }, 'could not read the rating; pairing with the last one known');
    }
    return profile.rating;
  }

  /** Keeps the profile's nickname (leaderboard, history) the one the player plays under. */
  noteNickname(nickname: string | undefined): void {
    const profile = this.socket.data.profile;
    const { store } = this.ctx;
    if (!profile || !store || nickname === undefined || nickname === profile.nickname) return;
    profile.nickname = nickname;
    store
      .renameProfile(profile.id, nickname)
      .catch((err: unknown) => this.log.warn({ err }, 'could not rename the profile'));
  }

  /** The room this socket is in, if it still exists. */
  room(): GameRoom | undefined {
    const code = this.roomCode;
    return code === null ? undefined : this.ctx.rooms.get(code);
  }

  /** Rate-limits one inbound message; false when it is dropped (the caller then does nothing). */
  admit(isInput: boolean, ack: AckFn | null): boolean {
    const now = this.ctx.clock.now();
    if (this.bucket.take(now)) return true;
    const { metrics } = this.ctx;
    if (isInput) metrics.inputsDropped.inc({ reason: 'rate_limited' });
    if (!this.abuse.take(now)) {
      if (this.socket.connected) {
        metrics.disconnectedAbusers.inc();
        this.reject(ErrorCode.RATE_LIMITED, null);
        this.log.warn('disconnecting a flooding client');
        this.socket.disconnect(true);
      }
      return false;
    }
    if (ack) this.reject(ErrorCode.RATE_LIMITED, ack);
    else metrics.rejected.inc({ code: ErrorCode.RATE_LIMITED });
    return false;
  }

  /** Answers a refused message: in its ack, or as a `server:error` event when it had none. */
  reject(code: ErrorCode, ack: AckFn | null): void {
    const f = failure(this.ctx.metrics, code);
    if (ack) ack(f);
    else this.socket.emit('server:error', { code: f.error, message: f.message });
  }

  /** Puts this socket into a room's channel. */
  enterChannel(room: GameRoom): void {
    this.roomCode = room.code;
    this.ctx.channels.get(room.code)?.add(this.socket);
  }

  /**
   * Queues a player's intents. Both input paths end here: the binary frame taken off the transport
   * (already checked by hand) and the JSON tuple (checked by its schema).
   */
  input(seq: number, intent: Intent, ticks: number): void {
    const { metrics } = this.ctx;
    metrics.hot.inputs += 1;
    const room = this.room();
    const error = room ? room.input(this.socket.id, seq, intent, ticks) : ErrorCode.NOT_IN_ROOM;
    if (error) {
      metrics.inputsDropped.inc({ reason: error });
      this.reject(error, null);
    }
  }

  /** Removes this socket from a room that it is in, and tells it why (room closed, seat taken over). */
  evict(code: string, reason: string): void {
    if (this.roomCode !== code) return;
    this.leaveChannel();
    this.socket.emit('room:left', { reason });
  }

  /** Drops this socket's queue entry, if it has one, without waiting (a shared queue may be slow). */
  leaveQueue(): void {
    this.ctx.quickMatch
      .leave(this.id)
      .catch((err: unknown) => this.log.warn({ err }, 'could not leave the queue'));
  }

  /** Takes this socket out of its room's channel (the room itself is told by the caller). */
  leaveChannel(): void {
    const code = this.roomCode;
    if (code === null) return;
    this.roomCode = null;
    this.ctx.channels.get(code)?.remove(this.socket);
  }
}

/** A refusal with its catalogued message, counted by code. */
export function failure(metrics: ServerMetrics, code: ErrorCode): Failure {
  metrics.rejected.inc({ code });
  return { ok: false, error: code, message: errorPayload(code).message };
}
