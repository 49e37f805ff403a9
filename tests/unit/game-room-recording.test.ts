// A GameRoom records each match as it plays it (seed, every step's intents, idle ticks, a forfeit)
// and hands it over once, in the tick that ends it: replaying the record with the shared
// simulation ends exactly where the room ended.
import { describe, expect, it } from 'vitest';
import { encodeCheckpoint, parseCheckpoint, withSegmentLog } from '../../server/cluster/room-checkpoint.ts';
import type { LogCursor, MatchEnd, RoomCheckpoint } from '../../server/rooms/game-room.ts';
import type { InputLog } from '../../shared/replay/input-log.ts';
import { replay } from '../../shared/replay/replay.ts';
import { RoomHarness } from './support/room-harness.ts';
import { stateBits } from './support/sim.ts';

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

/**
 * Plays a match on one "node" saving it as RoomOwnership does (the checkpoint without its log, the
 * log since the last acknowledged save as a JSON segment; every third reply is lost, so the next
 * segment overlaps it), with a drop and a return on the way. Returns what Redis would hold after
 * the last save, the full log at that save, and the seat tokens; the room then plays on a little
 * without saving (what a crash loses).
 */
function playSavingSegments() {
  const { h } = harness('public');
  const tokens = ['a', 'b'].map((id) => {
    const joined = h.room.join(id, { nickname: id, playerId: `player-${id}` });
    return joined.ok ? (joined.token ?? undefined) : undefined;
  });
  const segments: string[] = [];
  let cursor: LogCursor | null = null;
  let saved: RoomCheckpoint | null = null;
  let logAtSave: InputLog | null = null;
  const save = (replyLost: boolean) => {
    const checkpoint = h.room.checkpoint({ log: false });
    const update = h.room.logSince(cursor);
    if (!update) throw new Error('no match is being recorded');
    if (update.reset) segments.length = 0;
    segments.push(JSON.stringify(update.segment));
    saved = checkpoint;
    logAtSave = h.room.checkpoint().recording?.log ?? null;
    if (!replyLost) cursor = update.cursor;
  };
  h.hold('a', 1);
  h.hold('b', -1);
  for (let i = 0; i < 12; i += 1) {
    h.tick(9 + i);
    h.hold('a', (((i * 7) % 3) - 1) as -1 | 0 | 1);
    if (i === 5) {
      // b drops and comes back with its token: paused and resume-countdown ticks are idle time.
      h.release('b');
      h.room.leave('b');
    }
    if (i === 7) {
      h.room.join('b-back', { nickname: 'b', playerId: 'player-b', token: tokens[1] });
      h.hold('b-back', 0);
    }
    save(i % 3 === 1);
  }
  h.tick(7);
  if (!saved || !logAtSave) throw new Error('nothing saved');
  return { saved: saved as RoomCheckpoint, logAtSave: logAtSave as InputLog, segments, tokens };
}

/** The room resumed from `checkpoint` on another harness, both players back with their tokens. */
function resumeElsewhere(checkpoint: RoomCheckpoint, tokens: (string | undefined)[]) {
  const ends: MatchEnd[] = [];
  const h = new RoomHarness({ kind: 'public', onMatchEnd: (_room, end) => ends.push(end) }, checkpoint);
  expect(h.room.phase).toBe('paused');
  expect(h.room.join('a2', { nickname: 'a', playerId: 'player-a', token: tokens[0] })).toMatchObject({
    ok: true,
    role: 'left',
  });
  expect(h.room.join('b2', { nickname: 'b', playerId: 'player-b', token: tokens[1] })).toMatchObject({
    ok: true,
    role: 'right',
  });
  h.hold('a2', 1);
  h.hold('b2', 0);
  h.tickUntil(() => h.room.phase === 'finished');
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

  it('a match saved in segments and resumed elsewhere from them records on, and its record replays bit for bit', () => {
    const { saved, logAtSave, segments, tokens } = playSavingSegments();
    expect(segments.length).toBeGreaterThan(5);
    expect(logAtSave.idle.length).toBeGreaterThan(0);
    const stored = parseCheckpoint(encodeCheckpoint(saved));
    if (!stored) throw new Error('the checkpoint did not parse');
    expect(stored.recording?.log).toBeNull();
    const { checkpoint, lost } = withSegmentLog(stored, segments);
    expect(lost).toBe(false);
    expect(checkpoint.recording?.log).toEqual(logAtSave);

    const { h, ends } = resumeElsewhere(checkpoint, tokens);
    expect(ends).toHaveLength(1);
    const end = ends[0] as MatchEnd;
    expect(end.matchId).toBe(saved.recording?.id);
    expect(end.log.steps).toBeGreaterThan(logAtSave.steps);
    const final = h.room.checkpoint().match;
    if (!final) throw new Error('no match state');
    expect(stateBits(replay(end.seed, end.rules, end.log, end.forfeit))).toBe(stateBits(final));
  });

  it('a log that cannot be rebuilt leaves the resumed match unrecorded: it plays to its end, nothing is handed over', () => {
    const { saved, segments, tokens } = playSavingSegments();
    const stored = parseCheckpoint(encodeCheckpoint(saved));
    if (!stored) throw new Error('the checkpoint did not parse');
    // A piece in the middle is missing: the chain has a gap.
    const { checkpoint, lost } = withSegmentLog(stored, [...segments.slice(0, 2), ...segments.slice(3)]);
    expect(lost).toBe(true);
    expect(checkpoint.recording?.log).toBeNull();
    const { h, ends } = resumeElsewhere(checkpoint, tokens);
    expect(h.room.phase).toBe('finished');
    expect(ends).toEqual([]);
  });
});
