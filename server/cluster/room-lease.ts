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
 * Fenced write: a node that lost its lease cannot overwrite its successor's checkpoint or log. It
 * renews the lease too (keeping a room is one call per save). The replay log is kept beside
 * the checkpoint as a list of segments: `reset` empties it first (a new match, or the first save of
 * an owner), then the segment since the last save, if any, is appended. The log and the room's
 * routes (KEYS[4..]) live as long as the checkpoint: a match older than their TTL is still found.
 * KEYS: lease, checkpoint, log, routes…. ARGV: node, bytes, checkpoint TTL ms, lease TTL ms,
 * reset ('1' or '0'), then the segment (optional).
 */
const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if ARGV[5] == '1' then redis.call('DEL', KEYS[3]) end
if ARGV[6] then redis.call('RPUSH', KEYS[3], ARGV[6]) end
redis.call('PEXPIRE', KEYS[3], ARGV[3])
for i = 4, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return 1
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

/** A checkpoint with its log's segments, as written (RoomLeases.loadCheckpointWithLog). */
export interface SavedCheckpoint {
  bytes: Uint8Array;
  segments: string[];
}

const claimScript = new LuaScript(CLAIM);
const releaseScript = new LuaScript(RELEASE);
const saveScript = new LuaScript(SAVE);

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
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { log, routes = [], ttlMs = ROOM_CHECKPOINT_TTL_MS, leaseTtlMs = ROOM_LEASE_TTL_MS } = opts;
    const args: (string | number | Buffer)[] = [nodeId, data, ttlMs, leaseTtlMs, log?.reset ? '1' : '0'];
    if (log?.segment) args.push(log.segment);
    const saved = await saveScript.run(
      this.redis,
      [this.lease(roomId), this.checkpoint(roomId), this.log(roomId), ...routes],
      args,
    );
    return saved === 1;
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
