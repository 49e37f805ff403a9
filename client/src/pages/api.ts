import type { z } from 'zod';
// Type-only: the response shapes are the server's own zod schemas, so a change there fails the
// client's typecheck instead of drifting. Nothing of the server reaches the bundle.
import type {
  leaderboardResponse,
  matchResponse,
  playerResponse,
} from '../../../server/http/player-routes.ts';

export type LeaderboardBody = z.output<typeof leaderboardResponse>;
export type RankedPlayerBody = LeaderboardBody['players'][number];
export type PlayerBody = z.output<typeof playerResponse>;
export type HistoryEntryBody = PlayerBody['history'][number];
export type MatchBody = z.output<typeof matchResponse>;

export type ApiResult<T> = { ok: true; body: T } | { ok: false; status: number; message: string };

/** GET a JSON API path; a 404 or a failure is a value, not an exception (pages say what happened). */
export async function getJson<T>(path: string): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' } });
  } catch {
    return { ok: false, status: 0, message: 'The server cannot be reached; try again in a moment.' };
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: unknown } | null;
    const message = typeof body?.error === 'string' ? body.error : `HTTP ${res.status}`;
    return { ok: false, status: res.status, message };
  }
  return { ok: true, body: (await res.json()) as T };
}

export const leaderboardUrl = (me: string | null) =>
  me ? `/api/leaderboard?me=${encodeURIComponent(me)}` : '/api/leaderboard';
export const playerUrl = (id: string, before?: string | null) =>
  `/api/players/${encodeURIComponent(id)}${before ? `?before=${encodeURIComponent(before)}` : ''}`;
export const matchUrl = (id: string) => `/api/matches/${encodeURIComponent(id)}`;
