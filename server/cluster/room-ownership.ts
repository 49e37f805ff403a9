import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { GameRoom, RoomCheckpoint } from '../rooms/game-room.ts';
import type { RoomManager } from '../rooms/room-manager.ts';
import type { Tickable } from '../rooms/scheduler.ts';
import type { NodePresence } from './node-presence.ts';
import { ROOM_CHECKPOINT_TTL_MS, type RoomLeases } from './room-lease.ts';

/** Every owned room is checkpointed and its lease renewed at least this often. */
export const CHECKPOINT_INTERVAL_MS = 1_000;

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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * This node's side of "a match outlives its node". Every room it runs is under a lease in Redis
 * that it renews, with a checkpoint (GameRoom.checkpoint(), a few hundred bytes of JSON) saved at
 * least every CHECKPOINT_INTERVAL_MS and at once on every point, phase or roster change; a room's
 * code and id map to its lease, so any node can route a client to the owner. When the owner dies,
 * its leases expire and the first node a returning player reaches claims the room (one claimant:
 * the lease is SET NX) and resumes it from the checkpoint. On SIGTERM the node checkpoints and
 * releases everything (handOver), so the next node need not wait for the leases to expire.
 *
 * Redis work never blocks a tick: every call is fire-and-forget with one in flight per room, and a
 * Redis that stops answering only means the node takes no new rooms (accepting) until it is back.
 */
export class RoomOwnership implements Tickable {
  private readonly dirty = new Set<GameRoom>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly registered = new WeakMap<GameRoom, Promise<void>>();
  private lastFullMs = -Infinity;
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
        await this.save(room);
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

  tick(nowMs: number): void {
    if (this.stopped) return;
    const full = nowMs - this.lastFullMs >= CHECKPOINT_INTERVAL_MS;
    if (full) this.lastFullMs = nowMs;
    if (!full && this.dirty.size === 0) return;
    const rooms = full ? [...this.deps.rooms.all()] : [...this.dirty];
    this.dirty.clear();
    for (const room of rooms) {
      if (room.isClosed) continue;
      this.track(room.id, async () => {
        if (full && !(await this.deps.leases.renew(room.id, this.nodeId))) {
          // The lease lapsed (Redis was away for longer than its TTL): take it again when it is
          // free; if another node took it, that node runs the room now.
          if (!(await this.deps.leases.claim(room.id, this.nodeId))) {
            this.deps.log.warn({ room: room.id }, 'lost the room lease; closing the local copy');
            room.close('This game moved to another server.');
            return;
          }
        }
        await this.save(room);
      });
    }
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
    const checkpoint = saved ? parseCheckpoint(saved) : null;
    if (!checkpoint) return { kind: 'missing' };
    // A private room is reached with its code only, never by its id.
    if ('id' in key && checkpoint.kind === 'private') return { kind: 'missing' };
    if (owner !== null && owner !== this.nodeId) return { kind: 'elsewhere', node: owner };
    if (!this.deps.accepting()) return { kind: 'elsewhere', node: null };
    if (!(await leases.claim(id, this.nodeId))) return { kind: 'elsewhere', node: await leases.owner(id) };
    // socket.io#4067 has a twin here: the room may have been restored while we awaited.
    const room = rooms.getById(id) ?? rooms.restore(checkpoint);
    this.deps.log.info({ room: id }, 'room resumed from its checkpoint');
    return { kind: 'here', room };
  }

  /** SIGTERM: checkpoint every room and let go of its lease, so another node resumes it at once. */
  async handOver(): Promise<void> {
    this.stopped = true;
    // Jobs in flight (a renew, a save) finish first, so none of them takes a lease back after.
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
    await Promise.allSettled(
      [...this.deps.rooms.all()].map(async (room) => {
        if (room.isClosed) return;
        await this.save(room);
        await this.deps.leases.release(room.id, this.nodeId);
      }),
    );
  }

  private async save(room: GameRoom): Promise<void> {
    if (room.isClosed) return;
    const bytes = encoder.encode(JSON.stringify(room.checkpoint()));
    // The code's route is refreshed with every save: it was set once, when the room opened.
    await this.deps.leases.saveCheckpoint(room.id, this.nodeId, bytes, ROOM_CHECKPOINT_TTL_MS, [
      this.codeKey(room.code),
    ]);
  }

  /** Runs one Redis job per key at a time; errors mark Redis unreachable until a job succeeds. */
  private track(key: string, job: () => Promise<void>): Promise<void> {
    const current = this.running.get(key);
    // The next full pass (within a second) catches up; a close is never skipped.
    if (current && !key.startsWith('close:')) return current;
    const run = job()
      .then(
        () => {
          this.healthy = true;
        },
        (err: unknown) => {
          if (this.healthy) this.deps.log.warn({ err }, 'redis unreachable: rooms play on, no new rooms');
          this.healthy = false;
        },
      )
      .finally(() => {
        this.running.delete(key);
      });
    this.running.set(key, run);
    return run;
  }

  private codeKey(code: string): string {
    return `${this.deps.leases.keys.roomCodePrefix}${code}`;
  }
}

/** A checkpoint from Redis, or null when it is not one this version can resume. */
export function parseCheckpoint(bytes: Uint8Array): RoomCheckpoint | null {
  try {
    const value = JSON.parse(decoder.decode(bytes)) as Partial<RoomCheckpoint>;
    if (value.v !== 1 || typeof value.code !== 'string' || typeof value.id !== 'string') return null;
    if (!Array.isArray(value.seats) || value.seats.length !== 2) return null;
    return value as RoomCheckpoint;
  } catch {
    return null;
  }
}
