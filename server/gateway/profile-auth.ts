import type { FastifyBaseLogger } from 'fastify';
import { SECRET_PATTERN } from '../store/secret.ts';
import type { Profile, Store } from '../store/types.ts';
import type { SessionProfile } from './session.ts';

/** A new profile's name until its player sits down under a nickname of their own. */
export const NEW_PROFILE_NICKNAME = 'Player';

/** The profile the handshake proved (null: play as a guest), or `bad` when the secret is wrong. */
export type ProfileCheck = { bad: false; profile: SessionProfile | null } | { bad: true };

const proved = (p: Profile): ProfileCheck => ({
  bad: false,
  profile: { id: p.id, rating: p.rating, nickname: p.nickname },
});

/**
 * The handshake's profile check for `auth: { playerId, secret }`. A known id must come with its
 * secret; an unknown one is claimed with it (the browser's first visit with a profile). A malformed
 * secret is as bad as a wrong one. When the store cannot answer, the player plays as a guest
 * (unrated) rather than not at all.
 */
export async function checkProfile(
  store: Store,
  playerId: string,
  secret: string,
  log: FastifyBaseLogger,
): Promise<ProfileCheck> {
  if (!SECRET_PATTERN.test(secret)) return { bad: true };
  try {
    const known = await store.verifyProfile(playerId, secret);
    if (known) return proved(known);
    const claim = await store.claimProfile(playerId, secret, NEW_PROFILE_NICKNAME);
    return claim.ok ? proved(claim.profile) : { bad: true };
  } catch (err) {
    log.warn({ err }, 'profile check failed; playing as a guest');
    return { bad: false, profile: null };
  }
}
