import type { ErrorCode, ErrorPayload } from './errors.ts';
import type {
  CreateRoomRequest,
  InputMessage,
  JoinRoomRequest,
  PracticeRequest,
  QueueRequest,
  roomListingSchema,
  WatchRequest,
} from './schemas.ts';
import type { z } from 'zod';

/** Bumped on any incompatible change; checked in the socket.io handshake (`auth.v`). */
export const PROTOCOL_VERSION = 1;

export const RoomPhase = {
  waiting: 0,
  countdown: 1,
  playing: 2,
  paused: 3,
  finished: 4,
} as const;
export type RoomPhase = keyof typeof RoomPhase;
export const ROOM_PHASES = Object.keys(RoomPhase) as RoomPhase[];

export type Role = 'left' | 'right' | 'spectator';

/** Rules the client needs to predict with the same numbers as the server. */
export interface RulesInfo {
  tickHz: number;
  snapshotHz: number;
  pointsToWin: number;
  countdownMs: number;
}

export interface PlayerInfo {
  nickname: string;
  connected: boolean;
}

export type RoomKind = 'private' | 'public' | 'practice';
export type ComputerLevel = 'easy' | 'normal' | 'hard';

/** Room roster and phase: sent on join and whenever it changes (never per tick). */
export interface RoomInfo {
  /** Public id (what the lobby lists and Watch uses); never the invite code. */
  id: string;
  kind: RoomKind;
  phase: RoomPhase;
  players: [PlayerInfo | null, PlayerInfo | null];
  spectators: number;
  /** 'left' or 'right' once the match is finished. */
  winner: 'left' | 'right' | null;
  /** Which seats asked for a rematch after the match finished. */
  rematch: [boolean, boolean];
}

/** One public room in the lobby's live list: inferred from its schema, which GET /api/rooms serializes with. */
export type RoomListing = z.output<typeof roomListingSchema>;

export interface JoinOk {
  ok: true;
  /** The room's secret code, for its players and for whoever joined with it; null for watchers. */
  code: string | null;
  role: Role;
  /** Secret that reclaims this seat after a drop; players only, never shown to anyone else. */
  token: string | null;
  rules: RulesInfo;
  room: RoomInfo;
  /**
   * The node that owns the room (several nodes behind one balancer). A client that is connected to
   * another node reconnects with `?node=` and joins with the code and token.
   */
  node?: string;
}
export interface Failure {
  ok: false;
  error: ErrorCode;
  message: string;
}
export type JoinResult = JoinOk | Failure;

/** A seat's new rating after a rated match, and the change (rounded to an integer) that led to it. */
export interface SeatRating {
  rating: number;
  delta: number;
}

/** Sent to every member of a room once its finished match is recorded (players and spectators). */
export interface MatchResult {
  /** Its replay is at /replay/<matchId> (GET /api/matches/<matchId>). */
  matchId: string;
  rated: boolean;
  scores: [number, number];
  winner: 'left' | 'right';
  /** Per seat (left, right): null for an unrated seat or an unrated match. */
  ratings: [SeatRating | null, SeatRating | null];
}
export type Ack<T> = (result: T) => void;

export interface ClientToServerEvents {
  'room:create': (req: CreateRoomRequest, ack: Ack<JoinResult>) => void;
  'room:join': (req: JoinRoomRequest, ack: Ack<JoinResult>) => void;
  /** Joins a listed room by its public id: as a spectator, or with `play` into a free seat of a public room. */
  'room:watch': (req: WatchRequest, ack: Ack<JoinResult>) => void;
  'room:leave': (ack: Ack<{ ok: true } | Failure>) => void;
  /** After a finished match: a new match starts when both players asked. */
  'room:rematch': (ack: Ack<{ ok: true } | Failure>) => void;
  'queue:join': (req: QueueRequest, ack: Ack<{ ok: true } | Failure>) => void;
  'queue:leave': (ack: Ack<{ ok: true } | Failure>) => void;
  'practice:create': (req: PracticeRequest, ack: Ack<JoinResult>) => void;
  /** Starts the live room list: answered with the list, then `lobby:rooms` on every change. */
  'lobby:subscribe': (ack: Ack<RoomListing[]>) => void;
  'lobby:unsubscribe': () => void;
  input: (msg: InputMessage) => void;
  /** Clock sync: the ack carries the server's monotonic time in ms. */
  'time:ping': (ack: Ack<number>) => void;
}

export interface ServerToClientEvents {
  /** Binary snapshot, see shared/codec/snapshot.ts; one WebSocket frame each. */
  snapshot: (bytes: Uint8Array) => void;
  'room:state': (room: RoomInfo) => void;
  'server:error': (err: ErrorPayload) => void;
  'server:restarting': (info: { inMs: number }) => void;
  /** This socket is no longer in its room (room closed, or its seat was taken over by a newer tab). */
  'room:left': (info: { reason: string }) => void;
  'lobby:rooms': (rooms: RoomListing[]) => void;
  /** Quick match found: the socket is already seated in the new room. */
  'queue:matched': (join: JoinOk) => void;
  /** The socket's queue entry was dropped (the same player queued from another tab). */
  'queue:left': (info: { reason: string }) => void;
  /** The room's finished match was recorded: the rating changes and the replay's id. */
  'match:result': (result: MatchResult) => void;
}

/** Every event a client may send: a Record so the compiler flags an event missing here. */
const CLIENT_EVENT_NAMES: Readonly<Record<keyof ClientToServerEvents, true>> = {
  'room:create': true,
  'room:join': true,
  'room:watch': true,
  'room:leave': true,
  'room:rematch': true,
  'queue:join': true,
  'queue:leave': true,
  'practice:create': true,
  'lobby:subscribe': true,
  'lobby:unsubscribe': true,
  input: true,
  'time:ping': true,
};
/** The gateway answers any other event name with UNKNOWN_EVENT. */
export const CLIENT_EVENTS: ReadonlySet<string> = new Set(Object.keys(CLIENT_EVENT_NAMES));

/** Every event the server may send: a Record so the compiler flags an event missing here. */
const SERVER_EVENT_NAMES: Readonly<Record<keyof ServerToClientEvents, true>> = {
  snapshot: true,
  'room:state': true,
  'server:error': true,
  'server:restarting': true,
  'room:left': true,
  'lobby:rooms': true,
  'queue:matched': true,
  'queue:left': true,
  'match:result': true,
};
/** The events of ServerToClientEvents at run time (the protocol doc is checked against it). */
export const SERVER_EVENTS: ReadonlySet<string> = new Set(Object.keys(SERVER_EVENT_NAMES));
