import { describe, expect, it } from 'vitest';
import { formatDelta, formatDuration, formatRating } from '../../client/src/pages/format.ts';
import { pageRoute, playerHref, replayHref } from '../../client/src/pages/routes.ts';

describe('page routes', () => {
  it('maps the leaderboard, profile and replay paths, and leaves the rest to the lobby', () => {
    expect(pageRoute('/leaderboard')).toEqual({ page: 'leaderboard' });
    expect(pageRoute('/leaderboard/')).toEqual({ page: 'leaderboard' });
    expect(pageRoute('/players/abc_DEF-123')).toEqual({ page: 'player', id: 'abc_DEF-123' });
    expect(pageRoute('/replay/m4tch-id_01')).toEqual({ page: 'replay', matchId: 'm4tch-id_01' });
    for (const p of ['/', '/r/abcdefgh', '/w/abcdefgh', '/leaderboards', '/players', '/replay']) {
      expect(pageRoute(p)).toBeNull();
    }
  });

  it('gives a malformed id an empty one, so the page says "no such …" instead of asking the API', () => {
    expect(pageRoute('/players/%3Cscript%3E')).toEqual({ page: 'player', id: '' });
    expect(pageRoute('/replay/a/b')).toEqual({ page: 'replay', matchId: '' });
    expect(pageRoute(`/players/${'x'.repeat(65)}`)).toEqual({ page: 'player', id: '' });
  });

  it('builds links that keep the query', () => {
    expect(playerHref('p1', '?renderer=canvas')).toBe('/players/p1?renderer=canvas');
    expect(replayHref('m1')).toBe('/replay/m1');
  });
});

describe('page formats', () => {
  it('writes rating changes with their sign', () => {
    expect(formatDelta(12)).toBe('+12');
    expect(formatDelta(-7.4)).toBe('-7');
    expect(formatDelta(0.2)).toBe('±0');
  });

  it('writes a rating with its deviation, and lengths as m:ss', () => {
    expect(formatRating(1512.6, 84.5)).toBe('1513 ± 85');
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(90_500)).toBe('1:30');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
  });
});
