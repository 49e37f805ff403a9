// A GameRoom records each match as it plays it (seed, every step's intents, idle ticks, a forfeit)
// and hands it over once, in the tick that ends it: replaying the record with the shared
// simulation ends exactly where the room ended.
import { describe, expect, it } from 'vitest';
import type { MatchEnd } from '../../server/rooms/game-room.ts';
import { replay } from '../../shared/replay/replay.ts';
import { RoomHarness } from './support/room-harness.ts';

function harness(kind: 'private' | 'public' = 'private') {
  const ends: MatchEnd[] = [];
  let ids = 0;
  const h = new RoomHarness({
    kind,
    onMatchEnd: (_room, end) => ends.push(end),
    newMatchId: () => `match-000${(ids += 1)}`,
  });
  return { h, ends };
}

describe('GameRoom match recording', () => {
  it('a match with a drop and a return replays to the same final state; a rematch is a new match', () => {
    const { h, ends } = harness('public');
    h.room.join('a', { nickname: 'Ann', playerId: 'player-ann', profileId: 'player-ann' });
    const bob = h.room.join('b', { nickname: 'Bob', playerId: 'player-bob' });
    const token = bob.ok ? (bob.token ?? undefined) : undefined;
    expect(token).toBeDefined();
    h.hold('a', 1);
    h.hold('b', -1);
    h.tick(40);
    h.hold('a', -1);
    h.tick(40);
    // Bob drops and comes back: the paused ticks and the resume countdown are idle time.
    h.release('b');
    h.room.leave('b');
    h.tick(10);
    expect(h.room.phase).toBe('paused');
    h.room.join('b2', { nickname: 'Bob', playerId: 'player-bob', token });
    h.hold('b2', 0);
    h.tickUntil(() => h.room.phase === 'finished');
    expect(ends).toHaveLength(1);
    const end = ends[0] as MatchEnd;
    expect(end).toMatchObject({
      matchId: 'match-0001',
      kind: 'public',
      seed: 7,
      forfeit: null,
      players: [
        { profileId: 'player-ann', nickname: 'Ann' },
        { profileId: null, nickname: 'Bob' },
      ],
    });
    expect(end.log.idle.length).toBeGreaterThan(0);
    expect(end.durationMs).toBeGreaterThan(0);
    expect(Number.isInteger(end.durationMs)).toBe(true);
    const final = replay(end.seed, end.rules, end.log, end.forfeit);
    const snap = h.room.snapshot();
    expect([final.scores[0], final.scores[1]]).toEqual(snap.scores);
    expect([final.ball.x, final.ball.y]).toEqual([snap.ball.x, snap.ball.y]);
    expect(final.winner).toBe(end.winner);
    expect(end.scores).toEqual(snap.scores);

    // Ticking on after the end hands nothing over again; a rematch is recorded under a new id.
    h.tick(20);
    expect(ends).toHaveLength(1);
    expect(h.room.rematch('a')).toBeNull();
    expect(h.room.rematch('b2')).toBeNull();
    h.tickUntil(() => h.room.phase === 'finished');
    expect(ends.map((e) => e.matchId)).toEqual(['match-0001', 'match-0002']);
  });

  it('a forfeit is recorded at the step it happened, and the replay ends with the same winner', () => {
    const { h, ends } = harness();
    h.room.join('a', { nickname: 'Ann' });
    h.room.join('b', { nickname: 'Bob' });
    h.hold('a', 1);
    h.hold('b', 0);
    h.tick(100);
    h.release('b');
    h.room.leave('b');
    h.tickUntil(() => h.room.phase === 'finished');
    expect(ends).toHaveLength(1);
    const end = ends[0] as MatchEnd;
    expect(end.winner).toBe(0);
    expect(end.forfeit).toEqual({ seat: 1, atStep: end.log.steps });
    const final = replay(end.seed, end.rules, end.log, end.forfeit);
    expect(final.phase).toBe('finished');
    expect(final.winner).toBe(0);
    expect([final.scores[0], final.scores[1]]).toEqual(h.room.snapshot().scores);
  });
});
