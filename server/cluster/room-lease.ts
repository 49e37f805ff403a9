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

/** Compare-and-delete: only the owner lets go. KEYS: lease. ARGV: node. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Fenced writes, several rooms in one call: a node that lost a room's lease cannot overwrite its
 * successor's checkpoint or log, and each save renews its lease (keeping a room is one entry of one
 * call). A room's replay log is kept beside its checkpoint as a list of segments: `reset` empties
 * it first (a new match, or the first save of an owner), then the segment since the last save, if
 * any, is appended. The log and the room's routes live as long as the checkpoint: a match older
 * than their TTL is still found. Replies one 1 (saved) or 0 (not this node's lease) per room.
 * ARGV: node, checkpoint TTL ms, lease TTL ms, then per room: its key count, bytes, reset ('1' or
 * '0'), segment ('' for none). KEYS, per room in the same order: lease, checkpoint, log, routes….
 */
const SAVE_MANY = `
local out = {}
local k = 1
for a = 4, #ARGV, 4 do
  local n = tonumber(ARGV[a])
  local lease, checkpoint, log = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  if redis.call('GET', lease) == ARGV[1] then
    redis.call('PEXPIRE', lease, ARGV[3])
    redis.call('SET', checkpoint, ARGV[a + 1], 'PX', ARGV[2])
    if ARGV[a + 2] == '1' then redis.call('DEL', log) end
    if ARGV[a + 3] ~= '' then redis.call('RPUSH', log, ARGV[a + 3]) end
    redis.call('PEXPIRE', log, ARGV[2])
    for i = k + 3, k + n - 1 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
  k = k + n
end
return out
`;

/** How a checkpoint is saved (RoomLeases.saveCheckpoint). */
export interface SaveOptions {
  /** The replay log's part of the save: empty the list first, then append the segment (JSON). */
  log?: { reset: boolean; segment: string | null };
  /** Keys that route to the room (its code's), kept alive as long as the checkpoint. */
  routes?: readonly string[];
  ttlMs?: number;
  /** The lease is renewed to this by the same call. */
  leaseTtlMs?: number;
}

/** One room's part of RoomLeases.saveCheckpoints(). */
export interface CheckpointSave {
  roomId: string;
  bytes: Uint8Array;
  log?: SaveOptions['log'];
  routes?: readonly string[];
}

/** A checkpoint with its log's segments, as written (RoomLeases.loadCheckpointWithLog). */
export interface SavedCheckpoint {
  bytes: Uint8Array;
  segments: string[];
}

const claimScript = new LuaScript(CLAIM);
const releaseScript = new LuaScript(RELEASE);
const saveManyScript = new LuaScript(SAVE_MANY);

/**
 * Who runs each room, and the state to resume it from. A room is run by the node that holds its
 * lease; the owner checkpoints the match (every second, say), which renews the lease; when the owner
 * dies the lease expires and exactly one other node's claim succeeds, and that node resumes from the
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

  /** Lets go of the lease if `nodeId` holds it; true when it did. */
  async release(roomId: string, nodeId: string): Promise<boolean> {
    return (await releaseScript.run(this.redis, [this.lease(roomId)], [nodeId])) === 1;
  }

  /** The node running the room, or null when nobody holds its lease. */
  owner(roomId: string): Promise<string | null> {
    return this.redis.get(this.lease(roomId));
  }

  /**
   * Stores the room's checkpoint (and the log's segment) and renews the lease, if `nodeId` holds it;
   * false (nothing written) otherwise.
   */
  async saveCheckpoint(
    roomId: string,
    nodeId: string,
    bytes: Uint8Array,
    opts: SaveOptions = {},
  ): Promise<boolean> {
    const { log, routes, ttlMs, leaseTtlMs } = opts;
    const [saved] = await this.saveCheckpoints(nodeId, [{ roomId, bytes, log, routes }], {
      ttlMs,
      leaseTtlMs,
    });
    return saved === true;
  }

  /**
   * saveCheckpoint() for several rooms in one script call: a node's saves of one moment cost one
   * command, not one each. Each room is saved, or not, on its own lease; the answer says which, in
   * the order given.
   */
  async saveCheckpoints(
    nodeId: string,
    saves: readonly CheckpointSave[],
    opts: Pick<SaveOptions, 'ttlMs' | 'leaseTtlMs'> = {},
  ): Promise<boolean[]> {
    if (saves.length === 0) return [];
    const { ttlMs = ROOM_CHECKPOINT_TTL_MS, leaseTtlMs = ROOM_LEASE_TTL_MS } = opts;
    const keys: string[] = [];
    const args: (string | number | Buffer)[] = [nodeId, ttlMs, leaseTtlMs];
    for (const { roomId, bytes, log, routes = [] } of saves) {
      keys.push(this.lease(roomId), this.checkpoint(roomId), this.log(roomId), ...routes);
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      args.push(3 + routes.length, data, log?.reset ? '1' : '0', log?.segment ?? '');
    }
    const reply = await saveManyScript.run(this.redis, keys, args);
    if (!Array.isArray(reply) || reply.length !== saves.length) {
      throw new Error(`unexpected reply to a checkpoint save: ${JSON.stringify(reply)}`);
    }
    return reply.map((x) => x === 1);
  }

  /** The room's last checkpoint, or null. */
  async loadCheckpoint(roomId: string): Promise<Uint8Array | null> {
    const data = await this.redis.getBuffer(this.checkpoint(roomId));
    return data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  }

  /** The room's last checkpoint and its log's segments, read together (one transaction), or null. */
  async loadCheckpointWithLog(roomId: string): Promise<SavedCheckpoint | null> {
    const replies = await this.redis
      .multi()
      .getBuffer(this.checkpoint(roomId))
      .lrange(this.log(roomId), 0, -1)
      .exec();
    const [[cpErr, data] = [], [logErr, segments] = []] = replies ?? [];
    if (cpErr) throw cpErr;
    if (logErr) throw logErr;
    if (!Buffer.isBuffer(data)) return null;
    return {
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      segments: Array.isArray(segments) ? segments.filter((x): x is string => typeof x === 'string') : [],
    };
  }

  /** Forgets a room that ended: its checkpoint and log, and its lease if `nodeId` holds it. */
  async drop(roomId: string, nodeId: string): Promise<void> {
    if (await this.release(roomId, nodeId)) await this.redis.del(this.checkpoint(roomId), this.log(roomId));
  }

  private lease(roomId: string): string {
    return this.keys.leasePrefix + roomId;
  }

  private checkpoint(roomId: string): string {
    return this.keys.checkpointPrefix + roomId;
  }

  private log(roomId: string): string {
    return this.keys.checkpointLogPrefix + roomId;
  }
}
