import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../server/config.ts';
import { InMemoryRoomDirectory } from '../../server/lobby/room-directory.ts';
import { ManualClock } from '../../server/rooms/clock.ts';
import type { GameRoom } from '../../server/rooms/game-room.ts';
import { RoomManager } from '../../server/rooms/room-manager.ts';
import { Scheduler } from '../../server/rooms/scheduler.ts';
import { decodeSnapshot } from '../../shared/codec/snapshot.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import { countdownTicks } from '../../shared/sim/step.ts';
import { RecordingTransport, type TransportEvent } from './support/recording-transport.ts';
import { RoomHarness, TEST_RULES } from './support/room-harness.ts';

const snapshotsTo = (events: readonly TransportEvent[], memberId: string) =>
  events.filter((e) => e.kind === 'sendSnapshot' && e.memberId === memberId);

/** Two players seated, both holding "up" so their paddles park at the top and every serve scores. */
function startedMatch(pointsToWin = 5, overrides: ConstructorParameters<typeof RoomHarness>[0] = {}) {
  const h = new RoomHarness({ rules: { ...TEST_RULES, pointsToWin }, ...overrides });
  h.room.join('a', { nickname: 'Ann' });
  h.room.join('b', { nickname: 'Bob' });
  h.hold('a', -1);
  h.hold('b', -1);
  return h;
}

describe('GameRoom seats', () => {
  it('seats the first two joiners left and right; the third watches', () => {
    const h = new RoomHarness();
    const a = h.room.join('a', { nickname: 'Ann' });
    expect(a).toEqual({ ok: true, role: 'left', token: 'token-1', replacedMemberId: null });
    expect(h.room.phase).toBe('waiting');
    const b = h.room.join('b', { nickname: 'Bob' });
    expect(b).toEqual({ ok: true, role: 'right', token: 'token-2', replacedMemberId: null });
    const c = h.room.join('c', { nickname: 'Cy' });
    expect(c).toEqual({ ok: true, role: 'spectator', token: null, replacedMemberId: null });
    expect(h.room.roleOf('c')).toBe('spectator');
    expect(h.room.spectatorCount).toBe(1);
    expect(h.room.info().players).toEqual([
      { nickname: 'Ann', connected: true },
      { nickname: 'Bob', connected: true },
    ]);
    const lastState = h.transport.states().at(-1);
    expect(lastState?.spectators).toBe(1);
    expect(lastState?.phase).toBe('countdown');
  });

  it('refuses a second join from the same member', () => {
    const h = new RoomHarness();
    h.room.join('a', { nickname: 'Ann' });
    expect(h.room.join('a', { nickname: 'Ann' })).toEqual({ ok: false, error: ErrorCode.ALREADY_IN_ROOM });
    expect(h.room.info().players[1]).toBeNull();
  });

  it('answers spectator input with NOT_A_PLAYER and strangers with NOT_IN_ROOM; the match goes on', () => {
    const h = startedMatch();
    h.room.join('c', { nickname: 'Cy' });
    h.tickUntil(() => h.room.phase === 'playing');
    const before = h.room.snapshot();
    expect(h.room.input('c', 1, 1, 5)).toBe(ErrorCode.NOT_A_PLAYER);
    expect(h.room.input('nobody', 1, 1, 5)).toBe(ErrorCode.NOT_IN_ROOM);
    h.tick(5);
    const after = h.room.snapshot();
    expect(h.room.phase).toBe('playing');
    expect(after.ball).not.toEqual(before.ball);
    // The players' own inputs were the only ones applied.
    expect(after.acks[0] - before.acks[0]).toBe(5);
    expect(after.acks[1] - before.acks[1]).toBe(5);
  });

  it('keeps a seat for its player while the room is waiting; a newcomer takes the other seat', () => {
    const h = new RoomHarness();
    const a = h.room.join('a', { nickname: 'Ann' });
    h.room.leave('a');
    expect(h.room.join('b', { nickname: 'Bob' })).toMatchObject({ role: 'right' });
    expect(h.room.join('c', { nickname: 'Cy' })).toMatchObject({ role: 'spectator' });
    expect(h.room.phase).toBe('waiting');
    const back = h.room.join('a2', { nickname: 'Ann', token: a.ok ? (a.token ?? undefined) : undefined });
    expect(back).toMatchObject({ ok: true, role: 'left', token: 'token-1' });
    expect(h.room.phase).toBe('countdown');
  });
});

describe('GameRoom phases', () => {
  it('goes waiting → countdown → playing → finished, with the right winner', () => {
    const h = startedMatch(2);
    expect(h.tickUntil(() => h.room.phase === 'playing')).toBe(countdownTicks(h.options.rules));
    h.tickUntil(() => h.room.phase === 'finished');
    // Snapshots carry every phase; room:state goes out for the roster and the end, not for the
    // serve countdown ⇄ playing flips.
    expect(h.announcedPhases()).toEqual(['waiting', 'countdown', 'finished']);
    // Parked paddles: every serve scores for the server's side — left, right, left.
    expect(h.room.snapshot().scores).toEqual([2, 1]);
    expect(h.room.info().winner).toBe('left');
    expect(h.transport.states().at(-1)).toMatchObject({ phase: 'finished', winner: 'left' });
    h.tick(2);
    const sequence: string[] = [];
    for (const { phase } of h.broadcastSnapshots()) if (sequence.at(-1) !== phase) sequence.push(phase);
    expect(sequence).toEqual([
      'countdown',
      'playing',
      'countdown',
      'playing',
      'countdown',
      'playing',
      'finished',
    ]);
  });

  it('finished rooms close after finishedTtlMs', () => {
    const h = startedMatch(1);
    h.tickUntil(() => h.room.phase === 'finished');
    const ticks = h.tickUntil(() => h.room.isClosed);
    expect(ticks * h.periodMs).toBe(h.options.finishedTtlMs);
    expect(h.closes).toEqual(['finished']);
  });
});

describe('GameRoom snapshots', () => {
  it.each([
    [60, 30, 2],
    [60, 20, 3],
    [50, 25, 2],
    [50, 50, 1],
  ])('at %i Hz broadcasts %i snapshots per second, one every %i ticks', (tickHz, snapshotHz, every) => {
    const h = new RoomHarness({ rules: { ...TEST_RULES, tickHz }, snapshotHz });
    h.room.join('a', { nickname: 'Ann' });
    h.room.join('b', { nickname: 'Bob' });
    h.room.join('c', { nickname: 'Cy' });
    const broadcastTicks: number[] = [];
    for (let t = 1; t <= tickHz; t += 1) {
      const mark = h.transport.events.length;
      h.tick();
      const n = h.transport.since(mark).filter((e) => e.kind === 'broadcastSnapshot').length;
      expect(n).toBeLessThanOrEqual(1);
      if (n === 1) broadcastTicks.push(t);
    }
    // One second of ticks: snapshotHz broadcasts (one per snapshot whatever the audience), evenly spaced.
    expect(broadcastTicks).toHaveLength(snapshotHz);
    for (let i = 1; i < broadcastTicks.length; i += 1) {
      expect((broadcastTicks[i] as number) - (broadcastTicks[i - 1] as number)).toBe(every);
    }
  });

  it('carries the room state: time, phase, scores and each seat’s acknowledged input', () => {
    const h = startedMatch(5, { snapshotHz: 50 });
    h.tick(30);
    const last = h.broadcastSnapshots().at(-1);
    expect(last?.serverTimeMs).toBe(h.clock.now());
    expect(last?.phase).toBe(h.room.phase);
    expect(last?.acks).toEqual([30, 30]);
    expect(last?.paddles[0]).toBeCloseTo(h.room.snapshot().paddles[0], 2);
  });

  it('sends each joiner a full snapshot on the next tick, before that tick’s broadcast', () => {
    const h = startedMatch(5, { snapshotHz: 50 });
    const joined = h.transport.events.length;
    h.tick();
    expect(snapshotsTo(h.transport.since(joined), 'a')).toHaveLength(1);
    expect(snapshotsTo(h.transport.since(joined), 'b')).toHaveLength(1);
    h.tickUntil(() => h.room.phase === 'playing');
    h.tick(7);

    const mark = h.transport.events.length;
    expect(h.room.join('late', { nickname: 'Lee' })).toMatchObject({ ok: true, role: 'spectator' });
    // Nothing yet: the gateway acknowledges the join first.
    expect(h.transport.since(mark).filter((e) => e.kind !== 'broadcastState')).toEqual([]);
    h.tick();
    const sent = h.transport.since(mark).filter((e) => e.kind !== 'broadcastState');
    expect(sent.map((e) => e.kind)).toEqual(['sendSnapshot', 'broadcastSnapshot']);
    const [welcome, broadcast] = sent as [
      Extract<TransportEvent, { kind: 'sendSnapshot' }>,
      Extract<TransportEvent, { kind: 'broadcastSnapshot' }>,
    ];
    expect(welcome.memberId).toBe('late');
    expect(decodeSnapshot(welcome.bytes)).toEqual(decodeSnapshot(broadcast.bytes));
    expect(decodeSnapshot(welcome.bytes).phase).toBe('playing');
    // Only once.
    const after = h.transport.events.length;
    h.tick(5);
    expect(h.transport.since(after).some((e) => e.kind === 'sendSnapshot')).toBe(false);
  });

  it('sends no welcome snapshot to a member who left before the next tick', () => {
    const h = startedMatch();
    h.tick();
    const mark = h.transport.events.length;
    h.room.join('c', { nickname: 'Cy' });
    h.room.leave('c');
    h.tick();
    expect(snapshotsTo(h.transport.since(mark), 'c')).toHaveLength(0);
  });
});

describe('GameRoom pause, resume and forfeit', () => {
  /** A match in play after the first point: left leads 1-0. */
  function matchInPlay() {
    const h = startedMatch(5, { reconnectGraceMs: 1_000 });
    h.tickUntil(() => h.room.snapshot().scores[0] === 1 && h.room.phase === 'playing');
    h.tick(5);
    return h;
  }

  it('pauses when a player leaves, counting the grace down in timerTenths', () => {
    const h = matchInPlay();
    const before = h.room.snapshot();
    h.release('a');
    h.room.leave('a');
    const leftAt = h.clock.now();
    expect(h.room.phase).toBe('paused');
    expect(h.transport.states().at(-1)).toMatchObject({
      phase: 'paused',
      players: [
        { nickname: 'Ann', connected: false },
        { nickname: 'Bob', connected: true },
      ],
    });
    const mark = h.transport.events.length;
    h.tick(40);
    const paused = h.broadcastSnapshots(mark);
    expect(paused.length).toBeGreaterThanOrEqual(19);
    for (const s of paused) {
      expect(s.phase).toBe('paused');
      expect(s.timerTenths).toBe(Math.ceil((1_000 - (s.serverTimeMs - leftAt)) / 100));
      expect(s.scores).toEqual(before.scores);
    }
    const timers = paused.map((s) => s.timerTenths);
    expect(timers[0]).toBe(10);
    expect(timers.at(-1)).toBeLessThanOrEqual(3);
    // Nothing moves while paused.
    expect(h.room.snapshot().ball).toEqual(before.ball);
  });

  it('resumes after a countdown when the player comes back with its token, score intact', () => {
    const h = matchInPlay();
    const before = h.room.snapshot();
    h.release('a');
    h.room.leave('a');
    h.tick(25);
    const mark = h.transport.events.length;
    const back = h.room.join('a-again', { nickname: 'Ann', token: 'token-1' });
    expect(back).toEqual({ ok: true, role: 'left', token: 'token-1', replacedMemberId: null });
    expect(h.room.phase).toBe('countdown');
    expect(h.room.info().players[0]).toEqual({ nickname: 'Ann', connected: true });
    h.hold('a-again', -1);

    let countdown = 0;
    while (h.room.phase === 'countdown') {
      expect(h.room.snapshot().ball).toEqual(before.ball);
      h.tick();
      countdown += 1;
    }
    expect(countdown).toBe(countdownTicks(h.options.rules));
    expect(h.room.phase).toBe('playing');
    expect(h.room.snapshot().scores).toEqual(before.scores);
    expect(snapshotsTo(h.transport.since(mark), 'a-again')).toHaveLength(1);
    // The seat coming back is announced (phase countdown); the flip to playing is in the snapshots.
    expect(h.announcedPhases(mark)).toEqual(['countdown']);
    // The rally goes on from where it stopped.
    h.tick();
    expect(h.room.snapshot().ball).not.toEqual(before.ball);
  });

  it('ends the match by forfeit when the grace expires: the other seat wins, the score stays', () => {
    const h = matchInPlay();
    const before = h.room.snapshot();
    h.release('b');
    h.room.leave('b');
    const ticks = h.tickUntil(() => h.room.phase === 'finished');
    expect(ticks * h.periodMs).toBe(h.options.reconnectGraceMs);
    expect(h.room.info().winner).toBe('left');
    expect(h.room.snapshot().scores).toEqual(before.scores);
    expect(h.transport.states().at(-1)).toMatchObject({ phase: 'finished', winner: 'left' });
    // The absent player coming back later finds a finished match.
    h.room.join('b-again', { nickname: 'Bob', token: 'token-2' });
    expect(h.room.phase).toBe('finished');
  });

  it('forfeits the left seat the same way', () => {
    const h = matchInPlay();
    h.release('a');
    h.room.leave('a');
    h.tickUntil(() => h.room.phase === 'finished');
    expect(h.room.info().winner).toBe('right');
  });

  it('does not give the held seat for a wrong token or the other seat’s token', () => {
    const h = matchInPlay();
    h.release('a');
    h.room.leave('a');
    expect(h.room.join('x', { nickname: 'Mallory', token: 'not-a-token' })).toEqual({
      ok: true,
      role: 'spectator',
      token: null,
      replacedMemberId: null,
    });
    const other = h.room.join('y', { nickname: 'Bob', token: 'token-2' });
    expect(other).toMatchObject({ ok: true, role: 'right' });
    expect(h.room.phase).toBe('paused');
    expect(h.room.info().players[0]).toEqual({ nickname: 'Ann', connected: false });
    h.tick(10);
    expect(h.room.phase).toBe('paused');
    expect(h.room.join('z', { nickname: 'Ann', token: 'token-1' })).toMatchObject({ ok: true, role: 'left' });
    expect(h.room.phase).toBe('countdown');
  });

  it('moves a connected seat to the newest connection holding its token (a reload or new tab)', () => {
    const h = matchInPlay();
    const outcome = h.room.join('b-tab2', { nickname: 'Bob', token: 'token-2' });
    expect(outcome).toEqual({ ok: true, role: 'right', token: 'token-2', replacedMemberId: 'b' });
    expect(h.room.roleOf('b')).toBeUndefined();
    expect(h.room.input('b', 999, 1, 1)).toBe(ErrorCode.NOT_IN_ROOM);
    expect(h.room.memberIds().sort()).toEqual(['a', 'b-tab2']);
  });

  it('a spectator leaving does not pause the match', () => {
    const h = matchInPlay();
    h.room.join('c', { nickname: 'Cy' });
    h.room.leave('c');
    h.room.leave('c');
    h.tick();
    expect(h.room.phase).toBe('playing');
    expect(h.room.spectatorCount).toBe(0);
  });
});

describe('GameRoom closing', () => {
  it('closes at the join deadline when nobody else joins', () => {
    const h = new RoomHarness({ joinDeadlineMs: 5_000 });
    h.room.join('a', { nickname: 'Ann' });
    const ticks = h.tickUntil(() => h.room.isClosed);
    expect(ticks * h.periodMs).toBe(5_000);
    expect(h.closes).toEqual(['nobody joined in time']);
    const mark = h.transport.events.length;
    h.tick(10);
    expect(h.transport.since(mark)).toEqual([]);
    expect(h.room.join('b', { nickname: 'Bob' })).toEqual({ ok: false, error: ErrorCode.ROOM_NOT_FOUND });
  });

  it('a room nobody ever joins closes on its first tick, once', () => {
    const h = new RoomHarness();
    h.tick();
    expect(h.closes).toEqual(['empty']);
    h.tick(3);
    h.room.close('again');
    expect(h.closes).toEqual(['empty']);
  });

  it('closes once everyone has left a finished match', () => {
    const h = startedMatch(1);
    h.room.join('c', { nickname: 'Cy' });
    h.tickUntil(() => h.room.phase === 'finished');
    for (const id of ['a', 'b', 'c']) {
      h.release(id);
      h.room.leave(id);
    }
    h.tick();
    expect(h.closes).toEqual(['empty']);
    h.tick(200);
    expect(h.closes).toEqual(['empty']);
  });

  it('keeps a room whose players both dropped until the grace ends, then closes it once', () => {
    const h = startedMatch(5, { reconnectGraceMs: 1_000 });
    h.tick(20);
    for (const id of ['a', 'b']) {
      h.release(id);
      h.room.leave(id);
    }
    const ticks = h.tickUntil(() => h.room.isClosed);
    expect(ticks * h.periodMs).toBe(1_000);
    expect(h.closes).toEqual(['empty']);
  });
});

describe('RoomManager', () => {
  function manager(overrides: Partial<Config> = {}) {
    const config: Config = {
      ...DEFAULT_CONFIG,
      tickHz: 50,
      snapshotHz: 25,
      reconnectGraceMs: 500,
      privateRoomJoinDeadlineMs: 2_000,
      finishedRoomTtlMs: 1_000,
      ...overrides,
    };
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: config.tickHz });
    const transports = new Map<string, RecordingTransport>();
    const directory = new InMemoryRoomDirectory();
    const closed: [GameRoom, string][] = [];
    const rooms = new RoomManager({
      config,
      clock,
      scheduler,
      directory,
      transportFor: (code) => {
        const t = new RecordingTransport();
        transports.set(code, t);
        return t;
      },
      onRoomClosed: (room, reason) => closed.push([room, reason]),
    });
    const advance = (ms: number) => {
      for (let t = 0; t < ms; t += 1) {
        clock.advance(1);
        scheduler.runDue();
      }
    };
    return { rooms, scheduler, transports, directory, closed, advance };
  }

  it('registers a new room with the scheduler and removes it when the room closes', () => {
    const m = manager();
    const room = m.rooms.create('private');
    expect(m.scheduler.size).toBe(1);
    expect(m.rooms.get(room.code)).toBe(room);
    room.join('a', { nickname: 'Ann' });
    m.advance(1_990);
    expect(room.isClosed).toBe(false);
    m.advance(20);
    expect(room.isClosed).toBe(true);
    expect(m.scheduler.size).toBe(0);
    expect(m.rooms.size).toBe(0);
    expect(m.rooms.get(room.code)).toBeUndefined();
    expect(m.closed).toEqual([[room, 'nobody joined in time']]);
    // No longer ticked: its transport hears nothing more.
    const transport = m.transports.get(room.code) as RecordingTransport;
    const mark = transport.events.length;
    m.advance(500);
    expect(transport.since(mark)).toEqual([]);
  });

  it('gives each room its own code and transport, and closeAll closes every room once', async () => {
    const m = manager();
    const a = m.rooms.create('private');
    const b = m.rooms.create('public');
    expect(a.code).not.toBe(b.code);
    expect(m.transports.size).toBe(2);
    a.join('a', { nickname: 'Ann' });
    b.join('b', { nickname: 'Bob' });
    m.advance(100);
    expect((await m.directory.list()).map((l) => l.id)).toEqual([b.id]);
    m.rooms.closeAll('shutdown');
    m.rooms.closeAll('shutdown');
    expect(m.scheduler.size).toBe(0);
    expect(m.rooms.size).toBe(0);
    expect(m.closed.map(([r, reason]) => [r.code, reason])).toEqual([
      [a.code, 'shutdown'],
      [b.code, 'shutdown'],
    ]);
    expect(await m.directory.list()).toEqual([]);
  });
});
