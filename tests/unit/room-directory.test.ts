import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/config.ts';
import { InMemoryRoomDirectory } from '../../server/lobby/room-directory.ts';
import { ManualClock } from '../../server/rooms/clock.ts';
import { RoomManager } from '../../server/rooms/room-manager.ts';
import { Scheduler } from '../../server/rooms/scheduler.ts';
import type { RoomListing } from '../../shared/protocol/messages.ts';
import { RecordingTransport } from './support/recording-transport.ts';

function listing(id: string, overrides: Partial<RoomListing> = {}): RoomListing {
  return {
    id,
    phase: 'playing',
    players: ['Ann', 'Bob'],
    scores: [0, 0],
    spectators: 0,
    joinable: false,
    node: 'node1',
    ...overrides,
  };
}

/** A directory with one listener that counts change notifications. */
function watched() {
  const directory = new InMemoryRoomDirectory();
  const seen = { changes: 0 };
  const unsubscribe = directory.subscribe(() => (seen.changes += 1));
  return { directory, seen, unsubscribe };
}

describe('InMemoryRoomDirectory', () => {
  it('lists what was upserted, one listing per id, the newest version', async () => {
    const { directory, seen } = watched();
    expect(await directory.list()).toEqual([]);
    directory.upsert(listing('room-a'));
    directory.upsert(listing('room-b', { phase: 'waiting', players: ['Cy', null], joinable: true }));
    expect(seen.changes).toBe(2);
    directory.upsert(listing('room-a', { scores: [1, 0] }));
    expect(seen.changes).toBe(3);
    expect(await directory.list()).toEqual([
      listing('room-a', { scores: [1, 0] }),
      listing('room-b', { phase: 'waiting', players: ['Cy', null], joinable: true }),
    ]);
  });

  it('does not announce an upsert identical to the current listing (a fresh but equal object)', async () => {
    const { directory, seen } = watched();
    directory.upsert(listing('room-a', { scores: [2, 1], spectators: 3 }));
    expect(seen.changes).toBe(1);
    directory.upsert(listing('room-a', { scores: [2, 1], spectators: 3 }));
    directory.upsert(structuredClone(listing('room-a', { scores: [2, 1], spectators: 3 })));
    expect(seen.changes).toBe(1);
    expect(await directory.list()).toHaveLength(1);
  });

  const changes: [string, Partial<RoomListing>][] = [
    ['phase', { phase: 'paused' }],
    ['left nickname', { players: ['Ann2', 'Bob'] }],
    ['right nickname', { players: ['Ann', null] }],
    ['left score', { scores: [1, 0] }],
    ['right score', { scores: [0, 1] }],
    ['spectator count', { spectators: 1 }],
    ['joinable', { joinable: true }],
  ];
  it.each(changes)('announces a change of the %s', async (_what, change) => {
    const { directory, seen } = watched();
    directory.upsert(listing('room-a'));
    directory.upsert(listing('room-a', change));
    expect(seen.changes).toBe(2);
    expect(await directory.list()).toEqual([listing('room-a', change)]);
  });

  it('removes a listing and announces it; removing an unknown id is silent', async () => {
    const { directory, seen } = watched();
    directory.upsert(listing('room-a'));
    directory.upsert(listing('room-b'));
    directory.remove('room-a');
    expect(seen.changes).toBe(3);
    expect((await directory.list()).map((l) => l.id)).toEqual(['room-b']);
    directory.remove('room-a');
    directory.remove('never-listed');
    expect(seen.changes).toBe(3);
    // Gone means gone: the same listing again is a change.
    directory.upsert(listing('room-a'));
    expect(seen.changes).toBe(4);
  });

  it('tells every subscriber about each change until it unsubscribes', async () => {
    const { directory, seen, unsubscribe } = watched();
    let other = 0;
    const unsubscribeOther = directory.subscribe(() => (other += 1));
    directory.upsert(listing('room-a'));
    expect([seen.changes, other]).toEqual([1, 1]);
    unsubscribe();
    directory.upsert(listing('room-a', { spectators: 1 }));
    directory.remove('room-a');
    expect([seen.changes, other]).toEqual([1, 3]);
    unsubscribeOther();
    directory.upsert(listing('room-b'));
    expect([seen.changes, other]).toEqual([1, 3]);
    // The directory still works with nobody listening.
    expect((await directory.list()).map((l) => l.id)).toEqual(['room-b']);
  });
});

describe('RoomManager feeds the directory', () => {
  function manager() {
    const config = { ...DEFAULT_CONFIG, tickHz: 50, snapshotHz: 25, pointsToWin: 1, countdownMs: 100 };
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, { tickHz: config.tickHz });
    const directory = new InMemoryRoomDirectory();
    const rooms = new RoomManager({
      config,
      clock,
      scheduler,
      directory,
      transportFor: () => new RecordingTransport(),
    });
    const tickUntil = (done: () => boolean, maxTicks = 10_000) => {
      for (let n = 0; n < maxTicks && !done(); n += 1) {
        clock.advance(1000 / config.tickHz);
        scheduler.runDue();
      }
      expect(done()).toBe(true);
    };
    return { rooms, directory, tickUntil };
  }

  it('never lists a private room, whatever happens in it', async () => {
    const m = manager();
    let changes = 0;
    m.directory.subscribe(() => (changes += 1));
    const room = m.rooms.create('private');
    room.join('a', { nickname: 'Ann' });
    room.join('b', { nickname: 'Bob' });
    room.join('c', { nickname: 'Cy' });
    expect(await m.directory.list()).toEqual([]);
    m.tickUntil(() => room.phase === 'playing');
    expect(await m.directory.list()).toEqual([]);
    m.tickUntil(() => room.phase === 'finished');
    room.close('test');
    expect(changes).toBe(0);
  });

  it('lists a public room from its first player, follows it, drops it when finished and when closed', async () => {
    const m = manager();
    const room = m.rooms.create('public');
    room.join('a', { nickname: 'Ann', playerId: 'player-a' });
    expect(await m.directory.list()).toEqual([
      {
        id: room.id,
        phase: 'waiting',
        players: ['Ann', null],
        scores: [0, 0],
        spectators: 0,
        joinable: true,
        node: 'node1',
      },
    ]);
    room.join('b', { nickname: 'Bob', playerId: 'player-b' });
    room.join('c', { nickname: 'Cy', playerId: 'player-c' });
    expect(await m.directory.list()).toEqual([
      {
        id: room.id,
        phase: 'countdown',
        players: ['Ann', 'Bob'],
        scores: [0, 0],
        spectators: 1,
        joinable: false,
        node: 'node1',
      },
    ]);
    // The listing carries the public id, never the secret code or a seat token.
    expect(JSON.stringify(await m.directory.list())).not.toContain(room.code);

    m.tickUntil(() => room.phase === 'finished');
    expect(await m.directory.list()).toEqual([]);
    // A rematch brings it back as a fresh match.
    expect(room.rematch('a')).toBeNull();
    expect(room.rematch('b')).toBeNull();
    expect(await m.directory.list()).toEqual([expect.objectContaining({ id: room.id, scores: [0, 0] })]);
    room.close('test');
    expect(await m.directory.list()).toEqual([]);
  });
});
