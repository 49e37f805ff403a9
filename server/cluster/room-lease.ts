import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.ts';
import { clusterKeys, type ClusterKeys } from './redis-keys.ts';

/** An owner renews its lease well within this; a dead owner's rooms are free to claim after it. */
export const ROOM_LEASE_TTL_MS = 5_000;
/** A checkpoint outlives its lease by far: a room can be resumed long after its owner died. */
export const ROOM_CHECKPOINT_TTL_MS = 10 * 60_000;

/** Takes a free lease, or keeps one this node already holds. KEYS: lease. ARGV: node, TTL ms. */
const CLAIM = `
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if owner then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Extends the lease only for its owner. KEYS: lease. ARGV: node, TTL ms. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Compare-and-delete: only the owner lets go. KEYS: lease. ARGV: node. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Fenced write: a node that lost its lease cannot overwrite its successor's checkpoint. The room's
 * routes (KEYS[3..]) live as long as its checkpoint: a match older than their TTL is still found.
 * KEYS: lease, checkpoint, routes…. ARGV: node, bytes, TTL ms.
 */
const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
for i = 3, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return 1
`;

const claimScript = new LuaScript(CLAIM);
const renewScript = new LuaScript(RENEW);
const releaseScript = new LuaScript(RELEASE);
const saveScript = new LuaScript(SAVE);

/**
 * Who runs each room, and the state to resume it from. A room is run by the node that holds its
 * lease; the owner renews it (every second, say) and checkpoints the match; when the owner dies the
 * lease expires and exactly one other node's claim succeeds, and that node resumes from the
 * checkpoint. The lease's value is the owner's node id: it is also the route to the room from any
 * node (`owner()`).
 */
export class RoomLeases {
  readonly keys: ClusterKeys;

  constructor(
    private readonly redis: Redis,
    keys: ClusterKeys = clusterKeys(),
  ) {
    this.keys = keys;
  }

  /** True when `nodeId` holds the lease now (taken free, or already its own). */
  async claim(roomId: string, nodeId: string, ttlMs: number = ROOM_LEASE_TTL_MS): Promise<boolean> {
    return (await claimScript.run(this.redis, [this.lease(roomId)], [nodeId, ttlMs])) === 1;
  }

  /** False when the lease is no longer `nodeId`'s: it must stop running the room at once. */
  async renew(roomId: string, nodeId: string, ttlMs: number = ROOM_LEASE_TTL_MS): Promise<boolean> {
    return (await renewScript.run(this.redis, [this.lease(roomId)], [nodeId, ttlMs])) === 1;
  }

  /** Lets go of the lease if `nodeId` holds it; true when it did. */
  async release(roomId: string, nodeId: string): Promise<boolean> {
    return (await releaseScript.run(this.redis, [this.lease(roomId)], [nodeId])) === 1;
  }

  /** The node running the room, or null when nobody holds its lease. */
  owner(roomId: string): Promise<string | null> {
    return this.redis.get(this.lease(roomId));
  }

  /** Stores the room's checkpoint if `nodeId` holds its lease; false (nothing written) otherwise. */
  async saveCheckpoint(
    roomId: string,
    nodeId: string,
    bytes: Uint8Array,
    ttlMs: number = ROOM_CHECKPOINT_TTL_MS,
    /** Keys that route to the room (its code's), kept alive as long as the checkpoint. */
    routes: readonly string[] = [],
  ): Promise<boolean> {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const saved = await saveScript.run(
      this.redis,
      [this.lease(roomId), this.checkpoint(roomId), ...routes],
      [nodeId, data, ttlMs],
    );
    return saved === 1;
  }

  /** The room's last checkpoint, or null. */
  async loadCheckpoint(roomId: string): Promise<Uint8Array | null> {
    const data = await this.redis.getBuffer(this.checkpoint(roomId));
    return data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  }

  /** Forgets a room that ended: its checkpoint, and its lease if `nodeId` holds it. */
  async drop(roomId: string, nodeId: string): Promise<void> {
    if (await this.release(roomId, nodeId)) await this.redis.del(this.checkpoint(roomId));
  }

  private lease(roomId: string): string {
    return this.keys.leasePrefix + roomId;
  }

  private checkpoint(roomId: string): string {
    return this.keys.checkpointPrefix + roomId;
  }
}
