import { describe, expect, it } from 'vitest';
import { handshakeAuth, isBadCredentials } from '../../client/src/net/connection.ts';
import {
  loadCredentials,
  PLAYER_ID_KEY,
  PROFILE_SECRET_KEY,
  randomBase64url,
  renewCredentials,
} from '../../client/src/net/profile-credentials.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/messages.ts';

/** localStorage's contract over a Map (the functions only get and set strings). */
function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
  };
}

const SECRET = /^[A-Za-z0-9_-]{43}$/;

describe('profile credentials', () => {
  it('makes a 43-character base64url secret from 256 random bits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const s = randomBase64url(32);
      expect(s).toMatch(SECRET);
      seen.add(s);
    }
    expect(seen.size).toBe(200);
  });

  it('creates an id and a secret on first visit and keeps them afterwards', () => {
    const storage = memoryStorage();
    const first = loadCredentials(storage);
    expect(first.playerId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.secret).toMatch(SECRET);
    expect(storage.map.get(PLAYER_ID_KEY)).toBe(first.playerId);
    expect(storage.map.get(PROFILE_SECRET_KEY)).toBe(first.secret);
    expect(loadCredentials(storage)).toEqual(first);
  });

  it('keeps an existing player id (it becomes the profile) and gives it a secret', () => {
    const storage = memoryStorage({ [PLAYER_ID_KEY]: 'existing-player-id' });
    const creds = loadCredentials(storage);
    expect(creds.playerId).toBe('existing-player-id');
    expect(creds.secret).toMatch(SECRET);
  });

  it('replaces a malformed stored secret or id', () => {
    const storage = memoryStorage({ [PLAYER_ID_KEY]: 'bad id!', [PROFILE_SECRET_KEY]: 'short' });
    const creds = loadCredentials(storage);
    expect(creds.playerId).not.toBe('bad id!');
    expect(creds.secret).toMatch(SECRET);
  });

  it('renews both after BAD_CREDENTIALS, and stores the new pair', () => {
    const storage = memoryStorage();
    const old = loadCredentials(storage);
    const fresh = renewCredentials(storage);
    expect(fresh.playerId).not.toBe(old.playerId);
    expect(fresh.secret).not.toBe(old.secret);
    expect(loadCredentials(storage)).toEqual(fresh);
  });

  it('sends the secret in the handshake only with a player id', () => {
    expect(handshakeAuth({ playerId: 'p1234567', secret: 's'.repeat(43) })).toEqual({
      v: PROTOCOL_VERSION,
      playerId: 'p1234567',
      secret: 's'.repeat(43),
    });
    expect(handshakeAuth({ playerId: 'p1234567' })).toEqual({ v: PROTOCOL_VERSION, playerId: 'p1234567' });
    expect(handshakeAuth({ secret: 's'.repeat(43) })).toEqual({ v: PROTOCOL_VERSION });
  });

  it('recognises the BAD_CREDENTIALS connect error and nothing else', () => {
    const err = (data?: unknown) => Object.assign(new Error('refused'), { data });
    expect(isBadCredentials(err({ code: 'BAD_CREDENTIALS', message: 'x' }))).toBe(true);
    expect(isBadCredentials(err({ code: 'PROTOCOL_MISMATCH', message: 'x' }))).toBe(false);
    expect(isBadCredentials(err())).toBe(false);
    expect(isBadCredentials(new Error('xhr poll error'))).toBe(false);
  });
});
