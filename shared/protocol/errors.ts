/** The one catalog of error codes a client can receive, in an ack or a `server:error` event. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
  BAD_CREDENTIALS: 'BAD_CREDENTIALS',
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  ROOM_ELSEWHERE: 'ROOM_ELSEWHERE',
  ALREADY_IN_ROOM: 'ALREADY_IN_ROOM',
  NOT_IN_ROOM: 'NOT_IN_ROOM',
  NOT_A_PLAYER: 'NOT_A_PLAYER',
  NOT_FINISHED: 'NOT_FINISHED',
  OPPONENT_LEFT: 'OPPONENT_LEFT',
  NOT_QUEUED: 'NOT_QUEUED',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVER_SHUTTING_DOWN: 'SERVER_SHUTTING_DOWN',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_MESSAGES: Readonly<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'The message did not match its schema.',
  UNKNOWN_EVENT: 'No such event.',
  PROTOCOL_MISMATCH: 'Client and server speak different protocol versions; reload the page.',
  BAD_CREDENTIALS: 'This player id belongs to another profile; start a new profile and reconnect.',
  ROOM_NOT_FOUND: 'This game does not exist or has expired.',
  ROOM_ELSEWHERE:
    'This game runs on another server: reconnect there (the failure names the node) and try again.',
  ALREADY_IN_ROOM: 'You are already in a game; leave it first.',
  NOT_IN_ROOM: 'You are not in a game.',
  NOT_A_PLAYER: 'Only the two players can do that; spectators watch.',
  NOT_FINISHED: 'A rematch can only be asked for once the match is over.',
  OPPONENT_LEFT: 'Your opponent has left; go back to the lobby for a new match.',
  NOT_QUEUED: 'You are not waiting for a quick match.',
  RATE_LIMITED: 'Too many messages; slow down.',
  SERVER_SHUTTING_DOWN: 'The server is restarting; try again in a moment.',
  INTERNAL: 'Something went wrong on the server.',
};

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

export function errorPayload(code: ErrorCode): ErrorPayload {
  return { code, message: ERROR_MESSAGES[code] };
}
