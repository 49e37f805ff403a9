import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { GameRoom, LogCursor } from '../rooms/game-room.ts';
import type { RoomManager } from '../rooms/room-manager.ts';
import type { Tickable } from '../rooms/scheduler.ts';
import type { NodePresence } from './node-presence.ts';
import { encodeCheckpoint, parseCheckpoint, withSegmentLog } from './room-checkpoint.ts';
import { ROOM_CHECKPOINT_TTL_MS, type CheckpointSave, type RoomLeases } from './room-lease.ts';

/** Every owned room is checkpointed and its lease renewed at least this often. */
export const CHECKPOINT_INTERVAL_MS = 1_000;
/**
 * How often this node's due saves go out, together in one call: a point, phase or roster change is
 * in Redis at most this long after it happened (plus the round trip), and a periodic save is at most
 * this late. Every call costs the node a Redis round trip and, on a quiet node, a wake-up for the
 * reply; one per tick that had a change cost a three-node arena about a tenth of its CPU
 * (docs/PERFORMANCE.md, "Fourth round").
 */
const SAVE_SCAN_INTERVAL_MS = 100;

/** Where a room asked for by code or id is. */
export type RoomRoute =
  { kind: 'here'; room: GameRoom } | { kind: 'elsewhere'; node: string | null } | { kind: 'missing' };

export interface RoomOwnershipDeps {
  redis: Redis;
  leases: RoomLeases;
  presence: NodePresence;
  rooms: RoomManager;
  log: FastifyBaseLogger;
  /** False while this node takes no new rooms (shutting down, or Redis unreachable). */
  accepting: () => boolean;
}

/**
 * This node's side of "a match outlives its node". Every room it runs is under a lease in Redis,
 * with a checkpoint (GameRoom.checkpoint() without its replay log: a few hundred bytes of JSON)
 * saved at least every CHECKPOINT_INTERVAL_MS and within SAVE_SCAN_INTERVAL_MS of every point,
 * phase or roster change; each save renews the lease too. Every SAVE_SCAN_INTERVAL_MS the saves due
 * (changed rooms, and rooms whose last save is a second old) go out in one script call: a node pays
 * at most ten commands a second for all its rooms, not one per room or per change. The match's
 * replay log, which grows all match
 * long, is not in the checkpoint: each save appends only what was recorded since the last save
 * that succeeded to a list beside it (the first save of a match, or after the lease was taken
 * again, starts the list over), and the node that resumes the room joins the pieces
 * (shared/replay/log-segments.ts). A room's code and id map to its lease, so any node can route a
 * client to the owner. When the owner dies, its leases expire and the first node a returning
 * player reaches claims the room (one claimant: the lease is SET NX) and resumes it from the
 * checkpoint. A save that finds the lease gone (Redis was away for longer than its TTL) takes it
 * again when it is free; a room whose lease another node took is closed here, since that node runs
 * it now. On SIGTERM the node checkpoints and releases everything (handOver), so the next node need
 * not wait for the leases to expire.
 *
 * Redis work never blocks a tick: every call is fire-and-forget with one in flight per room (a room
 * whose save or claim is still out waits for the next scan), and a Redis that stops answering only
 * means the node takes no new rooms (accepting) until it is back.
 */
export class RoomOwnership implements Tickable {
  private readonly dirty = new Set<GameRoom>();
  /** Jobs of one room (claim, reclaim, close) by key, and the batched saves in flight. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly batches = new Set<Promise<void>>();
  /** Rooms whose save is in a batch that Redis has not answered yet. */
  private readonly saving = new Set<GameRoom>();
  private readonly registered = new WeakMap<GameRoom, Promise<void>>();
  /** Per room: how far its log is saved, as of the last save Redis acknowledged. */
  private readonly savedLog = new WeakMap<GameRoom, LogCursor>();
  /** When each room's last save was issued (scheduler time). */
  private readonly savedAtMs = new WeakMap<GameRoom, number>();
  private lastScanMs = -Infinity;
  private readonly nodeId: string;
  private healthy = true;
  /** Set by handOver(): this node runs no room's Redis work any more. */
  private stopped = false;

  constructor(private readonly deps: RoomOwnershipDeps) {
    this.nodeId = deps.presence.nodeId;
  }

  /** True while Redis answers this node's writes. */
  get reachable(): boolean {
    return this.healthy;
  }

  /** A room opened here (new or restored): claim its lease and publish its routes. */
  opened(room: GameRoom): void {
    if (this.stopped) return;
    this.registered.set(
      room,
      this.track(room.id, async () => {
        const { leases, redis } = this.deps;
        if (!(await leases.claim(room.id, this.nodeId))) {
          // Someone else runs it (a race on a restore): ours must not play on beside it.
          this.deps.log.warn({ room: room.id }, 'room lease held elsewhere; closing the local copy');
          room.close('This game moved to another server.');
          return;
        }
        await redis.set(this.codeKey(room.code), room.id, 'PX', ROOM_CHECKPOINT_TTL_MS);
        await this.saveOrReclaim(room);
      }),
    );
  }

  /**
   * Settles once a new room is reachable from every node (lease, routes, first checkpoint): an
   * invite link shared at once must work. Never rejects; a Redis that is away just makes it late.
   */
  async settled(room: GameRoom): Promise<void> {
    await this.registered.get(room);
    this.registered.delete(room);
  }

  changed(room: GameRoom): void {
    this.dirty.add(room);
  }

  /** A room that ended here: forget its lease, checkpoint and routes. */
  closed(room: GameRoom): void {
    this.dirty.delete(room);
    if (this.stopped) return;
    this.track(`close:${room.id}`, async () => {
      await this.deps.leases.drop(room.id, this.nodeId);
      await this.deps.redis.del(this.codeKey(room.code));
    });
  }

  /**
   * Every SAVE_SCAN_INTERVAL_MS: saves the rooms that changed since the last scan and every other
   * room whose last save is CHECKPOINT_INTERVAL_MS old (less one scan, so that none goes longer), in
   * one script call. A room just saved for a point is not saved again a moment later, and the
   * periodic saves spread over the second. The ticks in between cost nothing.
   */
  tick(nowMs: number): void {
    if (this.stopped || nowMs - this.lastScanMs < SAVE_SCAN_INTERVAL_MS) return;
    this.lastScanMs = nowMs;
    const due = new Set<GameRoom>();
    for (const room of this.dirty) {
      // A room with a save or claim out stays dirty for the next scan: this change is not in it.
      if (this.busy(room)) continue;
      this.dirty.delete(room);
      if (!room.isClosed) due.add(room);
    }
    for (const room of this.deps.rooms.all()) {
      const last = this.savedAtMs.get(room);
      if (last !== undefined && nowMs - last < CHECKPOINT_INTERVAL_MS - SAVE_SCAN_INTERVAL_MS) continue;
      if (!room.isClosed && !this.busy(room)) due.add(room);
    }
    if (due.size === 0) return;
    for (const room of due) this.savedAtMs.set(room, nowMs);
    this.saveBatch([...due]);
  }

  private busy(room: GameRoom): boolean {
    return this.saving.has(room) || this.running.has(room.id);
  }

  /**
   * Finds a room that is not here, by code (invite links, seat tokens) or public id (Watch). A room
   * whose owner is gone is claimed and restored here from its checkpoint.
   */
  async route(key: { code: string } | { id: string }): Promise<RoomRoute> {
    const { redis, leases, rooms } = this.deps;
    const id = 'id' in key ? key.id : await redis.get(this.codeKey(key.code));
    if (!id) return { kind: 'missing' };
    const local = rooms.getById(id);
    if (local) return { kind: 'here', room: local };
    const [owner, saved] = await Promise.all([leases.owner(id), leases.loadCheckpoint(id)]);
    // Every room a node runs is checkpointed right after its lease is taken.
    const found = saved ? parseCheckpoint(saved) : null;
    if (!found) return { kind: 'missing' };
    // A private room is reached with its code only, never by its id.
    if ('id' in key && found.kind === 'private') return { kind: 'missing' };
    if (owner !== null && owner !== this.nodeId) return { kind: 'elsewhere', node: owner };
    if (!this.deps.accepting()) return { kind: 'elsewhere', node: null };
    if (!(await leases.claim(id, this.nodeId))) return { kind: 'elsewhere', node: await leases.owner(id) };
    // Read again with the log, now that the lease is ours and nobody else writes either: the
    // checkpoint read above may be older than the log (its owner was still saving).
    const full = await leases.loadCheckpointWithLog(id);
    const latest = full ? parseCheckpoint(full.bytes) : null;
    if (!full || !latest) {
      await leases.release(id, this.nodeId);
      return { kind: 'missing' };
    }
    // socket.io#4067 has a twin here: the room may have been restored while we awaited.
    const here = rooms.getById(id);
    if (here) return { kind: 'here', room: here };
    const { checkpoint, lost } = withSegmentLog(latest, full.segments);
    if (lost) {
      this.deps.log.warn(
        { room: id, logEnd: latest.recording?.logEnd, segments: full.segments.length },
        'the checkpoint log is incomplete: the match resumes unrecorded',
      );
    }
    const room = rooms.restore(checkpoint);
    this.deps.log.info({ room: id }, 'room resumed from its checkpoint');
    return { kind: 'here', room };
  }

  /** SIGTERM: checkpoint every room and let go of its lease, so another node resumes it at once. */
  async handOver(): Promise<void> {
    this.stopped = true;
    // Jobs in flight (a save, a claim) finish first, so none of them takes a lease back after.
    while (this.running.size > 0 || this.batches.size > 0) {
      await Promise.allSettled([...this.running.values(), ...this.batches]);
    }
    const rooms = [...this.deps.rooms.all()].filter((room) => !room.isClosed);
    const saved = await this.save(rooms).catch(() => rooms.map(() => false));
    await Promise.allSettled(
      rooms.map((room, i) => (saved[i] ? this.deps.leases.release(room.id, this.nodeId) : undefined)),
    );
  }

  /**
   * Saves the rooms in one call (fire-and-forget, errors reported as for every job). A room whose
   * save is refused for want of the lease goes on to reclaim(); when the call fails (Redis away),
   * every room in it is due again at the next scan: while Redis is away a node makes one failing
   * call per scan.
   */
  private saveBatch(rooms: GameRoom[]): void {
    for (const room of rooms) this.saving.add(room);
    const batch = this.report(this.save(rooms))
      .then((saved) => {
        rooms.forEach((room, i) => {
          if (room.isClosed) return;
          if (!saved) this.savedAtMs.delete(room);
          else if (!saved[i]) this.track(room.id, () => this.reclaim(room));
        });
      })
      .finally(() => {
        for (const room of rooms) this.saving.delete(room);
        this.batches.delete(batch);
      });
    this.batches.add(batch);
  }

  /** Saves the room on its own: its first save, as soon as its lease is taken. */
  private async saveOrReclaim(room: GameRoom): Promise<void> {
    const [saved] = await this.save([room]);
    if (saved === false) await this.reclaim(room);
  }

  /**
   * A save was refused for want of the lease (it lapsed while Redis was away for longer than its
   * TTL): take the lease again when it is free and save the whole log anew; if another node took
   * it, that node runs the room now: ours closes.
   */
  private async reclaim(room: GameRoom): Promise<void> {
    if (room.isClosed) return;
    if (!(await this.deps.leases.claim(room.id, this.nodeId))) {
      this.deps.log.warn({ room: room.id }, 'lost the room lease; closing the local copy');
      room.close('This game moved to another server.');
      return;
    }
    this.savedLog.delete(room);
    await this.save([room]);
  }

  /**
   * Writes each room's checkpoint (without the log) and the log recorded since its last acknowledged
   * save, renewing its lease, in one script call; per room, false when this node does not hold its
   * lease. A cursor moves only once Redis acknowledged: a save whose reply was lost is sent again
   * from the same mark, and the loader lets the later copy replace the overlap. Without a cursor
   * (first save here) the list restarts.
   */
  private async save(rooms: readonly GameRoom[]): Promise<boolean[]> {
    const saves: CheckpointSave[] = [];
    const updates = rooms.map((room) => {
      const cursor = this.savedLog.get(room) ?? null;
      const update = room.logSince(cursor);
      // Between matches there is no log: whatever list is left (the last match's) goes.
      const reset = update ? update.reset : true;
      const segment = update && update.segment.to > update.segment.from ? update.segment : null;
      saves.push({
        roomId: room.id,
        bytes: encodeCheckpoint(room.checkpoint({ log: false })),
        log: { reset, segment: segment && JSON.stringify(segment) },
        // The code's route is refreshed with every save: it was set once, when the room opened.
        routes: [this.codeKey(room.code)],
      });
      return update;
    });
    const saved = await this.deps.leases.saveCheckpoints(this.nodeId, saves);
    rooms.forEach((room, i) => {
      if (!saved[i]) return;
      const update = updates[i];
      if (update) this.savedLog.set(room, update.cursor);
      else this.savedLog.delete(room);
    });
    return saved;
  }

  /** Runs one Redis job per key at a time; errors mark Redis unreachable until a job succeeds. */
  private track(key: string, job: () => Promise<void>): Promise<void> {
    const current = this.running.get(key);
    // The next save (within a second) catches up; a close is never skipped.
    if (current && !key.startsWith('close:')) return current;
    const run = this.report(job())
      .then(() => undefined)
      .finally(() => {
        this.running.delete(key);
      });
    this.running.set(key, run);
    return run;
  }

  /** A Redis call's outcome as the node's health: undefined when it failed (reported once). */
  private report<T>(call: Promise<T>): Promise<T | undefined> {
    return call.then(
      (value) => {
        this.healthy = true;
        return value;
      },
      (err: unknown) => {
        if (this.healthy) this.deps.log.warn({ err }, 'redis unreachable: rooms play on, no new rooms');
        this.healthy = false;
        return undefined;
      },
    );
  }

  private codeKey(code: string): string {
    return `${this.deps.leases.keys.roomCodePrefix}${code}`;
  }
}
