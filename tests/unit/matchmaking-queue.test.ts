import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InMemoryMatchmakingQueue,
  type MatchPair,
  type QueueEntry,
} from '../../server/lobby/matchmaking-queue.ts';

let serial = 0;
/** A queue entry whose `enqueuedAtMs` is a unique, increasing serial: it names this one join. */
function entry(playerId: string, socketId: string, nickname = playerId): QueueEntry {
  serial += 1;
  return { playerId, socketId, nickname, enqueuedAtMs: serial };
}

/** Every entry here has waited less than one step: the rating window is its narrowest. */
const NOW = 0;

const ids = (pairs: MatchPair[]) => pairs.map(({ a, b }) => [a.socketId, b.socketId]);

describe('InMemoryMatchmakingQueue by example', () => {
  it('pairs first come, first served; an odd one out keeps waiting', async () => {
    const q = new InMemoryMatchmakingQueue();
    for (const p of ['a', 'b', 'c', 'd', 'e']) expect(await q.enqueue(entry(p, `${p}#1`))).toBeNull();
    expect(q.size).toBe(5);
    expect(ids(await q.tryMatch(NOW))).toEqual([
      ['a#1', 'b#1'],
      ['c#1', 'd#1'],
    ]);
    expect((await q.entries()).map((e) => e.socketId)).toEqual(['e#1']);
    expect(await q.tryMatch(NOW)).toEqual([]);
    expect(q.size).toBe(1);
  });

  it('a second tab of the same player replaces the first entry and goes to the back of the queue', async () => {
    const q = new InMemoryMatchmakingQueue();
    const first = entry('a', 'a#1');
    await q.enqueue(first);
    await q.enqueue(entry('b', 'b#1'));
    expect(await q.enqueue(entry('a', 'a#2'))).toBe(first);
    expect((await q.entries()).map((e) => e.socketId)).toEqual(['b#1', 'a#2']);
    // The replaced tab cancelling (or closing) must not take the new tab's entry with it.
    expect(await q.removeSocket('a#1')).toBeNull();
    expect(q.size).toBe(2);
    expect(ids(await q.tryMatch(NOW))).toEqual([['b#1', 'a#2']]);
    expect(q.size).toBe(0);
  });

  it('the same socket joining again keeps one entry, with the newest nickname', async () => {
    const q = new InMemoryMatchmakingQueue();
    const first = entry('a', 'a#1', 'Ann');
    await q.enqueue(first);
    expect(await q.enqueue(entry('a', 'a#1', 'Annie'))).toBe(first);
    expect(await q.entries()).toEqual([expect.objectContaining({ socketId: 'a#1', nickname: 'Annie' })]);
  });

  it('removeSocket returns the entry it removed, and null for a socket that is not queued', async () => {
    const q = new InMemoryMatchmakingQueue();
    const a = entry('a', 'a#1');
    await q.enqueue(a);
    await q.enqueue(entry('b', 'b#1'));
    expect(await q.removeSocket('nobody')).toBeNull();
    expect(await q.removeSocket('a#1')).toBe(a);
    expect(await q.removeSocket('a#1')).toBeNull();
    expect((await q.entries()).map((e) => e.socketId)).toEqual(['b#1']);
    expect(await q.tryMatch(NOW)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Random sequences against a model: a plain array in arrival order.

const PLAYERS = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'];

type Op =
  | { kind: 'join'; player: number }
  | { kind: 'secondTab'; player: number }
  | { kind: 'cancel'; player: number }
  | { kind: 'disconnect'; player: number }
  | { kind: 'cancelStaleTab'; player: number }
  | { kind: 'tryMatch' };

const playerArb = fc.integer({ min: 0, max: PLAYERS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: playerArb.map((player) => ({ kind: 'join' as const, player })) },
  { weight: 2, arbitrary: playerArb.map((player) => ({ kind: 'secondTab' as const, player })) },
  { weight: 2, arbitrary: playerArb.map((player) => ({ kind: 'cancel' as const, player })) },
  { weight: 2, arbitrary: playerArb.map((player) => ({ kind: 'disconnect' as const, player })) },
  { weight: 1, arbitrary: playerArb.map((player) => ({ kind: 'cancelStaleTab' as const, player })) },
  { weight: 3, arbitrary: fc.constant({ kind: 'tryMatch' as const }) },
);

/**
 * Plays `ops` against the queue and a model of it, checking after every step: the queue holds
 * exactly the model's entries in arrival order, never two for one player or one socket; tryMatch
 * pairs strictly in arrival order, leaves at most one waiting, and never matches a join or a
 * player twice (a matched player is in a room, and the gateway refuses to queue them again).
 */
async function check(ops: readonly Op[]): Promise<void> {
  const q = new InMemoryMatchmakingQueue();
  let model: QueueEntry[] = [];
  /** Each player's open tabs, newest last; a tab is a socket id. */
  const tabs = PLAYERS.map((): string[] => []);
  let tabSerial = 0;
  const openTab = (player: number): string => {
    tabSerial += 1;
    const id = `${PLAYERS[player]}#${tabSerial}`;
    tabs[player]?.push(id);
    return id;
  };
  const newestTab = (player: number): string => tabs[player]?.at(-1) ?? openTab(player);
  const matchedJoins = new Set<number>();
  const matchedPlayers = new Set<string>();

  const enqueue = async (player: number, socketId: string) => {
    const playerId = PLAYERS[player] as string;
    // The gateway refuses ALREADY_IN_ROOM before the queue sees it.
    if (matchedPlayers.has(playerId)) return;
    const e = entry(playerId, socketId);
    const expected = model.find((m) => m.playerId === playerId) ?? null;
    expect(await q.enqueue(e)).toBe(expected);
    model = [...model.filter((m) => m.playerId !== playerId && m.socketId !== socketId), e];
  };
  const remove = async (socketId: string) => {
    const expected = model.find((m) => m.socketId === socketId) ?? null;
    expect(await q.removeSocket(socketId)).toBe(expected);
    model = model.filter((m) => m.socketId !== socketId);
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'join':
        await enqueue(op.player, newestTab(op.player));
        break;
      case 'secondTab':
        await enqueue(op.player, openTab(op.player));
        break;
      case 'cancel':
        await remove(newestTab(op.player));
        break;
      case 'disconnect': {
        await remove(newestTab(op.player));
        tabs[op.player]?.pop();
        break;
      }
      case 'cancelStaleTab': {
        // An older tab whose entry was replaced cancels: it must not touch the newer tab's entry.
        const older = tabs[op.player]?.at(-2);
        if (older !== undefined) await remove(older);
        break;
      }
      case 'tryMatch': {
        const waitingBefore = model;
        const pairs = await q.tryMatch(NOW);
        const flat = pairs.flatMap(({ a, b }) => [a, b]);
        // Strictly first come, first served: the oldest waiting, two by two.
        expect(flat).toEqual(waitingBefore.slice(0, pairs.length * 2));
        expect(waitingBefore.length - flat.length).toBeLessThanOrEqual(1);
        for (const { a, b } of pairs) {
          expect(a.playerId).not.toBe(b.playerId);
          expect(a.enqueuedAtMs).toBeLessThan(b.enqueuedAtMs);
        }
        for (const e of flat) {
          expect(matchedJoins.has(e.enqueuedAtMs), `join ${e.enqueuedAtMs} matched twice`).toBe(false);
          expect(matchedPlayers.has(e.playerId), `${e.playerId} matched twice`).toBe(false);
          matchedJoins.add(e.enqueuedAtMs);
          matchedPlayers.add(e.playerId);
        }
        model = waitingBefore.slice(flat.length);
        // Nobody is left waiting while somebody else waits.
        expect(q.size).toBeLessThanOrEqual(1);
        // Whoever is left arrived after everyone who was matched.
        for (const left of await q.entries()) {
          for (const e of flat) expect(left.enqueuedAtMs).toBeGreaterThan(e.enqueuedAtMs);
        }
        break;
      }
    }
    const entries = await q.entries();
    expect(entries).toEqual(model);
    expect(q.size).toBe(entries.length);
    expect(new Set(entries.map((e) => e.playerId)).size).toBe(entries.length);
    expect(new Set(entries.map((e) => e.socketId)).size).toBe(entries.length);
  }
}

describe('InMemoryMatchmakingQueue under random join / cancel / disconnect / second tab / tryMatch', () => {
  it('keeps one entry per player, pairs FIFO, never matches anyone twice, leaves at most one waiting', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), (ops) => check(ops)),
      { numRuns: 400 },
    );
  });

  it('a tryMatch after any sequence leaves nobody waiting alone with someone else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), (ops) => check([...ops, { kind: 'tryMatch' }])),
      { numRuns: 200 },
    );
  });
});
