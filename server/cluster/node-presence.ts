import type { Redis } from 'ioredis';
import { LuaScript, stringList } from './lua-script.ts';
import { checkNodeId, clusterKeys, type ClusterKeys } from './redis-keys.ts';

/** A node that has not renewed its presence for this long is dead: its listings and queue entries go. */
export const NODE_PRESENCE_TTL_MS = 5_000;
/** How often a node renews its presence (and looks for dead nodes). */
export const NODE_HEARTBEAT_MS = 1_000;

/**
 * Purges every node in the node set whose presence key has expired: its room listings and its
 * queue entries. Atomic, so when several nodes sweep at once exactly one finds each dead node and
 * announces it. Shared by the heartbeat and by a graceful stop.
 * KEYS: nodes, queueEntries, queueSockets. ARGV: nodePrefix, roomsPrefix, roomsChannel.
 */
const SWEEP = `
local dead = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. id) == 0 then
    redis.call('SREM', KEYS[1], id)
    redis.call('DEL', ARGV[2] .. id)
    dead[#dead + 1] = id
  end
end
if #dead > 0 then
  local gone = {}
  for _, id in ipairs(dead) do gone[id] = true end
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    local ok, e = pcall(cjson.decode, all[i + 1])
    if not ok or gone[e.node] then
      redis.call('HDEL', KEYS[2], all[i])
      if ok and redis.call('HGET', KEYS[3], e.socketId) == all[i] then redis.call('HDEL', KEYS[3], e.socketId) end
    end
  end
  redis.call('PUBLISH', ARGV[3], 'nodes-gone')
end
return dead
`;

/**
 * Renews this node's presence, registers it in the node set and keeps its listings alive as long
 * as it is; returns 1 when the node was not alive (first beat, or it had been taken for dead:
 * whatever it had published is gone and must be published again). Its presence key having
 * expired is enough: its listings expired with it, whether or not a sweep has removed it from the
 * node set yet.
 * KEYS: nodes, this node's presence key, this node's listings. ARGV: node id, info JSON, TTL ms.
 */
const BEAT = `
local alive = redis.call('EXISTS', KEYS[2])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
local added = redis.call('SADD', KEYS[1], ARGV[1])
if alive == 0 or added == 1 then return 1 end
return 0
`;

const LIVE = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local info = redis.call('GET', ARGV[1] .. id)
  if info then out[#out + 1] = info end
end
return out
`;

const sweepScript = new LuaScript(SWEEP);
const beatScript = new LuaScript(BEAT);
const liveScript = new LuaScript(LIVE);

/** What a node publishes about itself. */
export interface NodeInfo {
  id: string;
  pid: number;
  startedAtMs: number;
  [extra: string]: unknown;
}

export interface NodePresenceOptions {
  redis: Redis;
  nodeId: string;
  keys?: ClusterKeys;
  ttlMs?: number;
  heartbeatMs?: number;
  /** More to publish about this node (e.g. its address for operators). */
  info?: Record<string, unknown>;
  onError?: (err: unknown) => void;
}

/**
 * This node's presence in the cluster: a key with a short TTL renewed on a timer. Every beat also
 * sweeps nodes whose key expired, so a dead node's listings and queue entries vanish within
 * TTL + one heartbeat, whichever node notices first.
 */
export class NodePresence {
  readonly nodeId: string;
  readonly keys: ClusterKeys;
  readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly info: NodeInfo;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private running = false;
  private everRegistered = false;
  private readonly reregistered = new Set<() => void>();

  constructor(private readonly opts: NodePresenceOptions) {
    this.nodeId = checkNodeId(opts.nodeId);
    this.keys = opts.keys ?? clusterKeys();
    this.ttlMs = opts.ttlMs ?? NODE_PRESENCE_TTL_MS;
    this.heartbeatMs = opts.heartbeatMs ?? NODE_HEARTBEAT_MS;
    if (this.heartbeatMs * 2 > this.ttlMs)
      throw new Error('the heartbeat must be at most half the presence TTL');
    this.info = { ...opts.info, id: this.nodeId, pid: process.pid, startedAtMs: Date.now() };
  }

  /** Registers this node (rejects when Redis cannot be reached) and keeps it registered. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.beat();
    this.running = true;
    this.schedule();
  }

  /**
   * Called when a beat finds this node had been taken for dead (a pause longer than the TTL, or a
   * Redis that lost its data): republish this node's listings and queue entries.
   */
  onReregistered(listener: () => void): () => void {
    this.reregistered.add(listener);
    return () => this.reregistered.delete(listener);
  }

  /** One heartbeat now: renew, then sweep the dead. */
  async beat(): Promise<void> {
    const run = this.inFlight.then(async () => {
      const { redis } = this.opts;
      const added = await beatScript.run(
        redis,
        [this.keys.nodes, this.keys.nodePrefix + this.nodeId, this.keys.roomsPrefix + this.nodeId],
        [this.nodeId, JSON.stringify(this.info), this.ttlMs],
      );
      const wasLost = added === 1 && this.everRegistered;
      this.everRegistered = true;
      await this.sweep();
      if (wasLost) for (const l of this.reregistered) l();
    });
    this.inFlight = run.catch(() => undefined);
    return run;
  }

  /** The nodes alive now, with what each published about itself. */
  async liveNodes(): Promise<NodeInfo[]> {
    const reply = await liveScript.run(this.opts.redis, [this.keys.nodes], [this.keys.nodePrefix]);
    return stringList(reply).map((s) => JSON.parse(s) as NodeInfo);
  }

  /** Leaves the cluster on purpose: presence, listings and queue entries go at once. */
  async stop(): Promise<void> {
    this.halt();
    await this.inFlight;
    await this.opts.redis.del(this.keys.nodePrefix + this.nodeId);
    await this.sweep();
  }

  /** Stops beating and leaves everything to expire: what a crash looks like (tests). */
  abandon(): void {
    this.halt();
  }

  private halt(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async sweep(): Promise<string[]> {
    const k = this.keys;
    const dead = await sweepScript.run(
      this.opts.redis,
      [k.nodes, k.queueEntries, k.queueSockets],
      [k.nodePrefix, k.roomsPrefix, k.roomsChannel],
    );
    return stringList(dead);
  }

  // A chain of timeouts, not an interval: a slow Redis never stacks beats up.
  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.beat().then(
        () => this.schedule(),
        (err: unknown) => {
          (this.opts.onError ?? defaultOnError)(err);
          this.schedule();
        },
      );
    }, this.heartbeatMs);
  }
}

function defaultOnError(err: unknown): void {
  console.error('node presence:', err);
}
