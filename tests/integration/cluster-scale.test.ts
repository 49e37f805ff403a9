import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import type { JoinOk } from '../../shared/protocol/messages.ts';
import { ClusterClient } from '../support/cluster-client.ts';
import { startProcessCluster, type ProcessCluster } from '../support/cluster-processes.ts';
import { waitFor } from '../support/client.ts';

const QUEUERS = 200;
const MATCHES = 20;
/** Long enough that every match is still running while all three nodes restart one after another. */
const POINTS_TO_WIN = 11;

interface Health {
  node: string;
  rooms: number;
  sockets: number;
  status: string;
}

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`);
  return (await res.json()) as Health;
}

describe('three node processes behind HAProxy', () => {
  let cluster: ProcessCluster;
  const clients: ClusterClient[] = [];
  const track = (c: ClusterClient) => {
    clients.push(c);
    return c;
  };

  /** Rooms run by every node together (each node's own /healthz). */
  const roomsEverywhere = async () =>
    (await Promise.all(cluster.ids.map(async (id) => (await health(cluster.node(id).url)).rooms))).reduce(
      (a, b) => a + b,
      0,
    );

  beforeAll(async () => {
    cluster = await startProcessCluster({
      nodes: 3,
      env: { POINTS_TO_WIN: String(POINTS_TO_WIN), RECONNECT_GRACE_MS: '20000' },
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await cluster?.close();
  }, 60_000);

  // First, while the cluster runs nothing else: it counts every room of every node.
  it('a forged or stale ?node= reaches the room on its owner or a clear error, never a second copy', async () => {
    expect(await roomsEverywhere()).toBe(0);
    const host = track(new ClusterClient(cluster.url, { node: 'node1' }));
    await waitFor(host.socket, 'connect', undefined, 10_000);
    const created = await host.createRoom('Host');
    expect(created.node).toBe('node1');
    // A node that does not exist (HAProxy balances it), one that is not the owner (it names the
    // owner), and a request that is not a node id at all: each ends up seated on node1.
    const visitors = ['no-such-node', 'node2', '../node1?x=1'].map((node) =>
      track(new ClusterClient(cluster.url, { node })),
    );
    const joined = visitors.map((v) => v.nextJoin(15_000));
    for (const v of visitors) v.enterRoom({ by: 'code', code: created.code as string, nickname: 'V' });
    const joins = await Promise.all(joined);
    expect(joins.map((j) => [j.node, j.room.id])).toEqual(visitors.map(() => ['node1', created.room.id]));
    // Whoever came first took the free seat.
    expect(joins.map((j) => j.role).sort()).toEqual(['right', 'spectator', 'spectator']);
    expect(visitors[1]?.moves).toBe(1);
    expect(await roomsEverywhere()).toBe(1);
    // A code that leads nowhere is a clear error wherever it is asked.
    for (const node of cluster.ids) {
      const stray = track(new ClusterClient(cluster.url, { node }));
      const failed = new Promise((resolve) => stray.once('failed', resolve));
      stray.enterRoom({ by: 'code', code: 'no-such-room', nickname: 'X' });
      expect(await failed).toMatchObject({ ok: false, error: 'ROOM_NOT_FOUND' });
      stray.close();
    }
    for (const c of [host, ...visitors]) c.close();
  });

  it(`${QUEUERS} clients spread over 3 nodes queue at once: every one is paired exactly once`, async () => {
    const queuers: ClusterClient[] = [];
    for (let i = 0; i < QUEUERS; i += 1) {
      const node = cluster.ids[i % cluster.ids.length] as string;
      queuers.push(track(new ClusterClient(cluster.url, { node, playerId: `player-q${i}-${randomUUID()}` })));
    }
    await Promise.all(
      queuers.map((c) => (c.socket.connected ? undefined : waitFor(c.socket, 'connect', undefined, 20_000))),
    );
    // Spread as asked (`?node=` round robin through the balancer): each node's own /healthz counts them.
    for (const id of cluster.ids) {
      expect((await health(cluster.node(id).url)).sockets).toBeGreaterThanOrEqual(Math.floor(QUEUERS / 3));
    }
    const before = await roomsEverywhere();
    // Everyone seated: either at once (queue:matched on the owner node) or after moving to it.
    const seated = queuers.map((c) => c.nextJoin(60_000));
    // A pairing on another node may overtake a client's own ack: its held seat moves it at once,
    // and the ack of the connection it left never comes. Being matched answers the request too.
    const acks = await Promise.all(
      queuers.map((c) =>
        c.socket
          .timeout(10_000)
          .emitWithAck('queue:join', { nickname: 'Q' })
          .catch((err: unknown) => (c.matched.length > 0 ? { ok: true as const } : Promise.reject(err))),
      ),
    );
    expect(acks.filter((a) => !a.ok)).toEqual([]);
    const seats: JoinOk[] = await Promise.all(seated);

    // Exactly one queue:matched each.
    expect(queuers.map((c) => c.matched.length)).toEqual(queuers.map(() => 1));
    // Disjoint pairs: every room has exactly two of them, one left and one right.
    const byRoom = new Map<string, JoinOk[]>();
    for (const s of seats) byRoom.set(s.room.id, [...(byRoom.get(s.room.id) ?? []), s]);
    expect(byRoom.size).toBe(QUEUERS / 2);
    for (const pair of byRoom.values()) expect(pair.map((s) => s.role).sort()).toEqual(['left', 'right']);
    // Held seats were taken on the owner: the join that seated them names the node queue:matched named.
    const held = queuers.filter((c) => c.matched[0]?.held);
    expect(held.length).toBeGreaterThan(0);
    for (const c of held) {
      expect(c.joins.at(-1)?.node).toBe(c.matched[0]?.node);
      expect(c.joins.at(-1)?.role).toBe(c.matched[0]?.role);
    }
    // No room was made twice: the nodes run exactly one room per pair.
    // (Rooms of the test before are still held for their players' grace: counted in `before`.)
    expect(await roomsEverywhere()).toBe(before + QUEUERS / 2);
    for (const c of queuers) c.close();
  }, 120_000);

  it(`rolling restart (SIGTERM one node at a time) during ${MATCHES} running matches: all finish, no score lost`, async () => {
    // Bots miss until their match has a point (so a lost score would show), then defend (long
    // rallies) while the nodes restart, then miss again so every match ends.
    let finishing = false;
    const policy =
      (side: 0 | 1) =>
      (s: Snapshot): -1 | 0 | 1 => {
        if (finishing || s.scores[0] + s.scores[1] < 1) return 0;
        const dy = s.ball.y - s.paddles[side];
        return Math.abs(dy) < 8 ? 0 : dy < 0 ? -1 : 1;
      };
    const creators = Array.from({ length: MATCHES }, () =>
      track(new ClusterClient(cluster.url, { bot: { intent: policy(0) } })),
    );

    await Promise.all(
      creators.map((c) => (c.socket.connected ? undefined : waitFor(c.socket, 'connect', undefined, 20_000))),
    );
    const created = await Promise.all(creators.map((c, i) => c.createRoom(`Host${i}`))).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}\n${cluster.logs()}`);
      },
    );
    // Each guest comes through the balancer to a node that is not its room's (as after following
    // an old link): it is told the owner and moves there.
    const guests = created.map((c) => {
      const other = cluster.ids[(cluster.ids.indexOf(c.node as string) + 1) % cluster.ids.length] as string;
      return track(new ClusterClient(cluster.url, { node: other, bot: { intent: policy(1) } }));
    });
    const players = [...creators, ...guests];
    const seated = guests.map((g) => g.nextJoin(20_000));
    guests.forEach((g, i) =>
      g.enterRoom({ by: 'code', code: created[i]?.code as string, nickname: `Guest${i}` }),
    );
    const guestJoins = await Promise.all(seated);
    expect(guestJoins.map((j) => j.node)).toEqual(created.map((c) => c.node));
    expect(guests.map((g) => g.moves)).toEqual(guests.map(() => 1));

    // A score that goes down means a match restarted from an old state (or from zero).
    const regressions: string[] = [];
    players.forEach((c, i) => {
      let best = 0;
      c.on('snapshot', (s: Snapshot) => {
        const total = s.scores[0] + s.scores[1];
        if (total < best) regressions.push(`player ${i}: ${best} -> ${total}`);
        best = Math.max(best, total);
      });
    });
    const scoredOnce = (c: ClusterClient) =>
      c.until((s) => s.phase === 'playing' && s.scores[0] + s.scores[1] >= 1, 'a point', 60_000);
    await Promise.all(players.map(scoredOnce));

    const roomsBefore = created.map((c) => c.room.id).sort();
    for (const id of cluster.ids) {
      // Every match is still running when its node goes.
      expect(players.filter((c) => c.last?.phase === 'finished')).toEqual([]);
      const exit = await cluster.stop(id, 'SIGTERM');
      expect(exit, `${id} exit\n${cluster.logs()}`).toBe(0);
      // What counts from here is play after the node went.
      for (const c of players) c.last = null;
      await cluster.start(id);
      // Every match plays again (those of the stopped node resumed elsewhere) before the next node goes.
      await Promise.all(
        players.map((c) =>
          c.until((s) => s.phase === 'playing', `playing again after ${id} restarted`, 30_000),
        ),
      );
    }
    // Every room was handed over at least once (its node restarted under it), so every client moved.
    expect(players.filter((c) => c.moves === 0)).toEqual([]);
    expect(regressions).toEqual([]);

    finishing = true;
    const finals = await Promise.all(
      players.map((c) => c.until((s) => s.phase === 'finished', 'the match to finish', 120_000)),
    );
    for (const f of finals) expect(Math.max(...f.scores)).toBe(POINTS_TO_WIN);
    // The same 20 rooms, each finished once: no match was restarted as a new room.
    const roomsAfter = creators.map((c) => c.joins.at(-1)?.room.id).sort();
    expect(roomsAfter).toEqual(roomsBefore);
    expect(regressions).toEqual([]);
    expect(players.filter((c) => c.failures.length > 0).map((c) => c.failures)).toEqual([]);
  }, 300_000);
});
