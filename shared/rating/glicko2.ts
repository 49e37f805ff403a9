import rate from 'glicko2-lite';

/**
 * Glicko-2 (Glickman, "Example of the Glicko-2 system") via glicko2-lite, a small pure
 * implementation of the paper. Each rated match is its own rating period: both players are updated
 * right after the match from their ratings before it, the way online lobbies rate (a player should
 * see their new rating when the match ends, not at the end of a day).
 */
export interface Rating {
  rating: number;
  /** Rating deviation: how unsure the rating is (350 = unknown). */
  rd: number;
  volatility: number;
}

export const DEFAULT_RATING = 1500;
export const DEFAULT_RD = 350;
export const DEFAULT_VOLATILITY = 0.06;
/** System constant: how fast volatility may change (Glickman suggests 0.3 to 1.2). */
export const GLICKO2_TAU = 0.5;

export const NEW_PLAYER_RATING: Rating = {
  rating: DEFAULT_RATING,
  rd: DEFAULT_RD,
  volatility: DEFAULT_VOLATILITY,
};

/** One game's result from the player's side: 1 win, 0 loss (Pong has no draws, 0.5 is allowed anyway). */
export interface GameResult {
  opponent: Rating;
  score: 0 | 0.5 | 1;
}

/** A player's rating after a rating period with these games. */
export function updateRating(player: Rating, games: readonly GameResult[]): Rating {
  const next = rate(
    player.rating,
    player.rd,
    player.volatility,
    games.map((g) => [g.opponent.rating, g.opponent.rd, g.score] as [number, number, number]),
    { rating: DEFAULT_RATING, tau: GLICKO2_TAU },
  );
  return { rating: next.rating, rd: next.rd, volatility: next.vol };
}

/** Both players' ratings after one match between them, `winner` being seat 0 or 1. */
export function rateMatch(left: Rating, right: Rating, winner: 0 | 1): [Rating, Rating] {
  return [
    updateRating(left, [{ opponent: right, score: winner === 0 ? 1 : 0 }]),
    updateRating(right, [{ opponent: left, score: winner === 1 ? 1 : 0 }]),
  ];
}
