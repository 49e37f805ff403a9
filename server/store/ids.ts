import { randomBytes } from 'node:crypto';

/** Same shape as the browser's playerId, so an existing one can become a profile id. */
export const PROFILE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const MATCH_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
/** A history page cursor: `<endedAtMs>.<matchId>` of the last entry of the previous page. */
export const CURSOR_PATTERN = /^(\d{1,15})\.([A-Za-z0-9_-]{8,64})$/;

export function newProfileId(): string {
  return randomBytes(16).toString('base64url');
}

/** One per match (a rematch gets a new one): the key that makes recording a match idempotent. */
export function newMatchId(): string {
  return randomBytes(12).toString('base64url');
}

export function encodeCursor(endedAtMs: number, matchId: string): string {
  return `${endedAtMs}.${matchId}`;
}
