/**
 * The browser's profile: its player id (the profile id) and the secret that proves it, both kept
 * in localStorage. The server stores only a hash of the secret; the page never shows it.
 */
import { bytesToBase64url } from '../../../shared/replay/base64url.ts';

export const PLAYER_ID_KEY = 'pong.playerId';
export const PROFILE_SECRET_KEY = 'pong.profileSecret';
/** What the server accepts as a player id, and as a secret (256 random bits, base64url). */
const PLAYER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const PLAYER_ID_BYTES = 16;
const SECRET_BYTES = 32;

export interface Credentials {
  playerId: string;
  secret: string;
}

/** The storage part these functions use (localStorage in the page). */
export type CredentialStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** `n` random bytes as unpadded base64url (32 bytes → 43 characters). */
export const randomBase64url = (n: number): string =>
  bytesToBase64url(crypto.getRandomValues(new Uint8Array(n)));

const newPlayerId = () => Array.from(crypto.getRandomValues(new Uint8Array(PLAYER_ID_BYTES)), hex).join('');
const hex = (b: number) => b.toString(16).padStart(2, '0');

/**
 * The stored credentials, completed where missing or malformed: an existing player id keeps its
 * id and gets a secret (the server creates its profile on first sight of the pair).
 */
export function loadCredentials(storage: CredentialStorage): Credentials {
  let playerId = storage.getItem(PLAYER_ID_KEY);
  if (!playerId || !PLAYER_ID_PATTERN.test(playerId)) {
    playerId = newPlayerId();
    storage.setItem(PLAYER_ID_KEY, playerId);
  }
  let secret = storage.getItem(PROFILE_SECRET_KEY);
  if (!secret || !SECRET_PATTERN.test(secret)) {
    secret = randomBase64url(SECRET_BYTES);
    storage.setItem(PROFILE_SECRET_KEY, secret);
  }
  return { playerId, secret };
}

/**
 * A new player id and secret, stored: what the page does when the server says its secret does not
 * match its id (storage restored from elsewhere, or the id taken by another browser first).
 */
export function renewCredentials(storage: CredentialStorage): Credentials {
  const fresh = { playerId: newPlayerId(), secret: randomBase64url(SECRET_BYTES) };
  storage.setItem(PLAYER_ID_KEY, fresh.playerId);
  storage.setItem(PROFILE_SECRET_KEY, fresh.secret);
  return fresh;
}
