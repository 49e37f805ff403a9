import type { Redis } from 'ioredis';
import { LuaScript, stringList } from '../cluster/lua-script.ts';
import type { NodePresence } from '../cluster/node-presence.ts';
import type { ClusterKeys } from '../cluster/redis-keys.ts';
import type { MatchmakingQueue, MatchPair, QueueEntry } from './matchmaking-queue.ts';
import { byWaitingOrder, DEFAULT_RATING_WINDOW, pairByRating, type RatingWindow } from './rating-pairing.ts';

/**
 * One entry per player across the cluster: a second tab (on any node) replaces the first, and a
 * socket queued as another player stops being that player's entry.
 * KEYS: entries, sockets. ARGV: player id, socket id, entry JSON. Returns the replaced entry's JSON.
 */
const ENQUEUE = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev then
  local ok, e = pcall(cjson.decode, prev)
  if ok and redis.call('HGET', KEYS[2], e.socketId) == ARGV[1] then redis.call('HDEL', KEYS[2], e.socketId) end
end
local other = redis.call('HGET', KEYS[2], ARGV[2])
if other and other ~= ARGV[1] then redis.call('HDEL', KEYS[1], other) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return prev
`;

/** KEYS: entries, sockets. ARGV: socket id. Returns the removed entry's JSON. */
const REMOVE_SOCKET = `
local player = redis.call('HGET', KEYS[2], ARGV[1])
if not player then return false end
redis.call('HDEL', KEYS[2], ARGV[1])
local json = redis.call('HGET', KEYS[1], player)
if not json then return false end
local ok, e = pcall(cjson.decode, json)
if ok and e.socketId ~= ARGV[1] then return false end
redis.call('HDEL', KEYS[1], player)
return json
`;

/** The entries whose node is alive. KEYS: entries, nodes. ARGV: nodePrefix. */
const WAITING = `
local out = {}
local alive = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok, e = pcall(cjson.decode, all[i + 1])
  if ok then
    local node = e.node
    if alive[node] == nil then alive[node] = redis.call('EXISTS', ARGV[1] .. node) == 1 end
    if alive[node] then out[#out + 1] = all[i + 1] end
  end
end
return out
`;

/**
 * Takes the pairs this node computed, each only if both entries are still exactly what it read
 * (compare-and-delete) and both nodes are alive: a pair another node took first, or that a cancel
 * or a second tab changed, is skipped. Returns the 1-based indices of the pairs taken.
 * KEYS: entries, sockets. ARGV: nodePrefix, then per pair: idA, jsonA, sockA, nodeA, idB, jsonB, sockB, nodeB.
 */
const CLAIM = `
local taken = {}
local n = 0
for i = 2, #ARGV, 8 do
  n = n + 1
  local ok = true
  for k = 0, 4, 4 do
    if redis.call('HGET', KEYS[1], ARGV[i + k]) ~= ARGV[i + k + 1]
      or redis.call('EXISTS', ARGV[1] .. ARGV[i + k + 3]) == 0 then ok = false end
  end
  if ok then
    for k = 0, 4, 4 do
      redis.call('HDEL', KEYS[1], ARGV[i + k])
      if redis.call('HGET', KEYS[2], ARGV[i + k + 2]) == ARGV[i + k] then redis.call('HDEL', KEYS[2], ARGV[i + k + 2]) end
    end
    taken[#taken + 1] = n
  end
end
return taken
`;

const enqueueScript = new LuaScript(ENQUEUE);
const removeSocketScript = new LuaScript(REMOVE_SOCKET);
const waitingScript = new LuaScript(WAITING);
const claimScript = new LuaScript(CLAIM);

/** Rounds of read → pair → claim in one tryMatch while other nodes keep taking pairs from under it. */
const MAX_CLAIM_ROUNDS = 5;

export interface RedisMatchmakingQueueOptions {
  redis: Redis;
  /** This node: stamped on every entry; entries of nodes that are not alive are never paired. */
  presence: NodePresence;
  window?: RatingWindow;
}

/**
 * The quick-match queue shared by every node. Entries live in one hash keyed by player id (so two
 * tabs on two nodes are one entry), each carrying its node and socket id. Any node may call
 * tryMatch(): it reads the live entries, pairs them with the same pure function as the in-memory
 * queue, and takes its pairs with one atomic compare-and-delete script, so no two nodes ever pair
 * the same player; a pair lost to a concurrent change is recomputed in the next round.
 *
 * Entries are stamped with the caller's enqueuedAtMs; every node must use the wall clock
 * (Date.now()) for it and for tryMatch's nowMs.
 */
export class RedisMatchmakingQueue implements MatchmakingQueue {
  private lastSize = 0;
  private readonly keys: ClusterKeys;

  constructor(private readonly opts: RedisMatchmakingQueueOptions) {
    this.keys = opts.presence.keys;
  }

  get size(): number {
    return this.lastSize;
  }

  async entries(): Promise<QueueEntry[]> {
    const reply = await waitingScript.run(
      this.opts.redis,
      [this.keys.queueEntries, this.keys.nodes],
      [this.keys.nodePrefix],
    );
    const entries = byWaitingOrder(stringList(reply).map(decodeEntry));
    this.lastSize = entries.length;
    return entries;
  }

  async enqueue(entry: QueueEntry): Promise<QueueEntry | null> {
    const own: QueueEntry = { ...entry, node: this.opts.presence.nodeId };
    const prev = await enqueueScript.run(
      this.opts.redis,
      [this.keys.queueEntries, this.keys.queueSockets],
      [own.playerId, own.socketId, encodeEntry(own)],
    );
    return typeof prev === 'string' ? decodeEntry(prev) : null;
  }

  async removeSocket(socketId: string): Promise<QueueEntry | null> {
    const removed = await removeSocketScript.run(
      this.opts.redis,
      [this.keys.queueEntries, this.keys.queueSockets],
      [socketId],
    );
    return typeof removed === 'string' ? decodeEntry(removed) : null;
  }

  async tryMatch(nowMs: number): Promise<MatchPair[]> {
    const matched: MatchPair[] = [];
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
      const waiting = await this.entries();
      const pairs = pairByRating(waiting, nowMs, this.opts.window ?? DEFAULT_RATING_WINDOW).flatMap(
        ([i, j]) => {
          const a = waiting[i];
          const b = waiting[j];
          return a && b ? [{ a, b }] : [];
        },
      );
      if (pairs.length === 0) break;
      const args: (string | number)[] = [this.keys.nodePrefix];
      for (const { a, b } of pairs) {
        for (const e of [a, b]) args.push(e.playerId, encodeEntry(e), e.socketId, e.node ?? '');
      }
      const taken = await claimScript.run(
        this.opts.redis,
        [this.keys.queueEntries, this.keys.queueSockets],
        args,
      );
      const indices = Array.isArray(taken) ? taken.filter((n): n is number => typeof n === 'number') : [];
      for (const n of indices) {
        const pair = pairs[n - 1];
        if (pair) matched.push(pair);
      }
      this.lastSize -= indices.length * 2;
      // Every pair taken: nothing changed under us, the rest cannot pair now.
      if (indices.length === pairs.length) break;
    }
    return matched;
  }
}

/**
 * An entry as JSON with its keys in one order: the claim compares the exact string it read, so
 * decode → encode must give back the same bytes.
 */
function encodeEntry(e: QueueEntry): string {
  const { playerId, socketId, nickname, enqueuedAtMs, rating, node } = e;
  return JSON.stringify({ playerId, socketId, nickname, enqueuedAtMs, rating, node });
}

function decodeEntry(json: string): QueueEntry {
  const raw = JSON.parse(json) as QueueEntry;
  const e: QueueEntry = {
    playerId: raw.playerId,
    socketId: raw.socketId,
    nickname: raw.nickname,
    enqueuedAtMs: raw.enqueuedAtMs,
  };
  if (raw.rating !== undefined) e.rating = raw.rating;
  if (raw.node !== undefined) e.node = raw.node;
  return e;
}
