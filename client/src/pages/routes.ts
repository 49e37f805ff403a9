/** The client's page routes besides the lobby and match screens (the server serves index.html there). */
export type PageRoute =
  { page: 'leaderboard' } | { page: 'player'; id: string } | { page: 'replay'; matchId: string };

const LEADERBOARD_PATH = /^\/leaderboard\/?$/;
const PLAYER_PATH = /^\/players\/([A-Za-z0-9_-]{1,64})\/?$/;
const REPLAY_PATH = /^\/replay\/([A-Za-z0-9_-]{1,64})\/?$/;
/** Any path under these prefixes is one of these pages, even with a malformed id (it says "no such …"). */
const PLAYER_PREFIX = /^\/players\//;
const REPLAY_PREFIX = /^\/replay\//;

/** The page a path shows, or null for the lobby and match routes. A malformed id is an empty one. */
export function pageRoute(pathname: string): PageRoute | null {
  if (LEADERBOARD_PATH.test(pathname)) return { page: 'leaderboard' };
  const player = PLAYER_PATH.exec(pathname);
  if (player) return { page: 'player', id: player[1] as string };
  if (PLAYER_PREFIX.test(pathname)) return { page: 'player', id: '' };
  const replay = REPLAY_PATH.exec(pathname);
  if (replay) return { page: 'replay', matchId: replay[1] as string };
  if (REPLAY_PREFIX.test(pathname)) return { page: 'replay', matchId: '' };
  return null;
}

/**
 * Links between pages keep the page's query (?renderer=canvas, ?transport=…), as the match
 * screens do, so a test's or a player's choice survives navigation.
 */
export const leaderboardHref = (search = '') => `/leaderboard${search}`;
export const playerHref = (id: string, search = '') => `/players/${encodeURIComponent(id)}${search}`;
export const replayHref = (matchId: string, search = '') => `/replay/${encodeURIComponent(matchId)}${search}`;
