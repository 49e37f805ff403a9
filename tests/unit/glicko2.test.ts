import { describe, expect, it } from 'vitest';
import { NEW_PLAYER_RATING, rateMatch, updateRating } from '../../shared/rating/glicko2.ts';

describe('Glicko-2', () => {
  it("reproduces Glickman's worked example: 1500/200/0.06 after three games → 1464.06 / 151.52 / 0.05999", () => {
    const after = updateRating({ rating: 1500, rd: 200, volatility: 0.06 }, [
      { opponent: { rating: 1400, rd: 30, volatility: 0.06 }, score: 1 },
      { opponent: { rating: 1550, rd: 100, volatility: 0.06 }, score: 0 },
      { opponent: { rating: 1700, rd: 300, volatility: 0.06 }, score: 0 },
    ]);
    // The paper rounds its intermediate values (μ' = -0.2069 etc.) and so prints 1464.06; computed
    // without rounding the rating is 1464.0507, hence one decimal place of agreement on the rating.
    expect(after.rating).toBeCloseTo(1464.06, 1);
    expect(after.rating).toBeCloseTo(1464.0507, 3);
    expect(after.rd).toBeCloseTo(151.52, 2);
    expect(after.volatility).toBeCloseTo(0.05999, 4);
    expect(after.volatility).toBeCloseTo(0.059996, 6);
  });

  it('a match moves both players in opposite directions, more for the less certain one', () => {
    const sure = { rating: 1500, rd: 60, volatility: 0.06 };
    const [winner, loser] = rateMatch(NEW_PLAYER_RATING, sure, 0);
    expect(winner.rating).toBeGreaterThan(1500);
    expect(loser.rating).toBeLessThan(1500);
    expect(winner.rating - 1500).toBeGreaterThan(1500 - loser.rating);
    expect(winner.rd).toBeLessThan(NEW_PLAYER_RATING.rd);
  });

  it('an upset moves ratings more than an expected result', () => {
    const strong = { rating: 1900, rd: 80, volatility: 0.06 };
    const weak = { rating: 1300, rd: 80, volatility: 0.06 };
    const [expected] = rateMatch(strong, weak, 0);
    const [upset] = rateMatch(strong, weak, 1);
    expect(1900 - upset.rating).toBeGreaterThan(expected.rating - 1900);
  });
});
