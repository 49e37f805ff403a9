import type { ErrorCode, ErrorPayload } from './errors.ts';
import type { CreateRoomRequest, InputMessage, JoinRoomRequest } from './schemas.ts';

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

/** Room roster and phase: sent on join and whenever it changes (never per tick). */
export interface RoomInfo {
  code: string;
  phase: RoomPhase;
  players: [PlayerInfo | null, PlayerInfo | null];
  spectators: number;
  /** 'left' or 'right' once the match is finished. */
  winner: 'left' | 'right' | null;
}

export interface JoinOk {
  ok: true;
  code: string;
  role: Role;
  /** Secret that reclaims this seat after a drop; players only, never shown to anyone else. */
  token: string | null;
  rules: RulesInfo;
  room: RoomInfo;
}
export interface Failure {
  ok: false;
  error: ErrorCode;
  message: string;
}
export type JoinResult = JoinOk | Failure;
export type Ack<T> = (result: T) => void;

export interface ClientToServerEvents {
  'room:create': (req: CreateRoomRequest, ack: Ack<JoinResult>) => void;
  'room:join': (req: JoinRoomRequest, ack: Ack<JoinResult>) => void;
  'room:leave': (ack: Ack<{ ok: true } | Failure>) => void;
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
}
