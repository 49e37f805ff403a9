import { loadCredentials } from '../net/profile-credentials.ts';
import { showLeaderboard } from './leaderboard-page.ts';
import { showProfile } from './profile-page.ts';
import { showReplay } from './replay-page.ts';
import type { PageRoute } from './routes.ts';

/**
 * Shows a leaderboard, profile or replay page. These pages read the HTTP API only: no socket, so
 * they cost the game server nothing while someone browses them.
 */
export function startPage(route: PageRoute, opts: { canvasRenderer: boolean }): Promise<void> {
  const me = storedPlayerId();
  switch (route.page) {
    case 'leaderboard':
      return showLeaderboard(me);
    case 'player':
      return showProfile(route.id, me);
    case 'replay':
      return showReplay(route.matchId, opts.canvasRenderer);
  }
}

/** The reader's own id, to highlight them; pages work without storage too. */
function storedPlayerId(): string | null {
  try {
    return loadCredentials(localStorage).playerId;
  } catch {
    return null;
  }
}
