import type { Redis } from 'ioredis';
import type { RoomListing } from '../../shared/protocol/messages.ts';
import { LuaScript, stringList } from '../cluster/lua-script.ts';
import type { NodePresence } from '../cluster/node-presence.ts';
import type { ClusterKeys } from '../cluster/redis-keys.ts';
import { sameListing, type RoomDirectory } from './room-directory.ts';

/** KEYS: this node's listings. ARGV: room id, listing JSON (or '' to remove), TTL ms, channel. */
const WRITE = `
local changed
if ARGV[2] == '' then
  changed = redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  changed = 1
end
if changed == 1 then redis.call('PUBLISH', ARGV[4], ARGV[1]) end
return changed
`;

/** Every live node's listings. KEYS: nodes. ARGV: nodePrefix, roomsPrefix. */
const LIST = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then
    for _, v in ipairs(redis.call('HVALS', ARGV[2] .. id)) do out[#out + 1] = v end
  end
end
return out
`;

/** Rewrites all of this node's listings. KEYS: this node's listings. ARGV: TTL ms, channel, id, JSON, ... */
const REPUBLISH = `
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], '*')
return 1
`;

const writeScript = new LuaScript(WRITE);
const listScript = new LuaScript(LIST);
const republishScript = new LuaScript(REPUBLISH);

export interface RedisRoomDirectoryOptions {
  /** Commands; the directory opens one more connection (a duplicate) for pub/sub. */
  redis: Redis;
  /** This node; its presence decides whether its listings are shown. */
  presence: NodePresence;
  onError?: (err: unknown) => void;
}

/**
 * The lobby directory shared by every node: each node writes its own rooms to its own hash
 * (`rooms:<node>`, expiring with the node's presence) and announces changes on a channel; a read
 * gathers the hashes of the nodes alive now. Every listing carries the `node` that owns it.
 *
 * The owner keeps its own listings in memory too: unchanged upserts never reach Redis, and when
 * this node is found to have been taken for dead its listings are written again.
 */
export class RedisRoomDirectory implements RoomDirectory {
  private readonly mine = new Map<string, RoomListing>();
  private readonly listeners = new Set<() => void>();
  private readonly keys: ClusterKeys;
  private readonly ownKey: string;
  private readonly subscriber: Redis;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly stopReregister: () => void;

  private constructor(private readonly opts: RedisRoomDirectoryOptions) {
    this.keys = opts.presence.keys;
    this.ownKey = this.keys.roomsPrefix + opts.presence.nodeId;
    // Subscriber mode takes (un)subscribe commands only, which ioredis never pipelines anyway: the
    // command connection's auto-pipelining (cluster.ts) has nothing to batch here.
    this.subscriber = opts.redis.duplicate({ enableAutoPipelining: false });
    // Without a listener ioredis prints every failed reconnection while Redis is away.
    this.subscriber.on('error', (err: unknown) => opts.onError?.(err));
    this.subscriber.on('message', (channel: string) => {
      if (channel === this.keys.roomsChannel) for (const l of this.listeners) l();
    });
    this.stopReregister = opts.presence.onReregistered(() => this.track(this.republish()));
  }

  /** Opens the pub/sub connection; change notifications flow once this resolves. */
  static async open(opts: RedisRoomDirectoryOptions): Promise<RedisRoomDirectory> {
    const directory = new RedisRoomDirectory(opts);
    await directory.subscriber.subscribe(directory.keys.roomsChannel);
    return directory;
  }

  upsert(listing: RoomListing): void {
    const owned: RoomListing = { ...listing, node: this.opts.presence.nodeId };
    const old = this.mine.get(listing.id);
    if (old && sameListing(old, owned)) return;
    this.mine.set(listing.id, owned);
    this.write(listing.id, encodeListing(owned));
  }

  remove(id: string): void {
    if (!this.mine.delete(id)) return;
    this.write(id, '');
  }

  async list(): Promise<RoomListing[]> {
    const reply = await listScript.run(
      this.opts.redis,
      [this.keys.nodes],
      [this.keys.nodePrefix, this.keys.roomsPrefix],
    );
    return stringList(reply)
      .map((s) => JSON.parse(s) as RoomListing)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every write issued so far has reached Redis (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Closes the pub/sub connection; the command connection belongs to the caller. */
  async close(): Promise<void> {
    this.stopReregister();
    this.listeners.clear();
    await this.settled();
    await this.subscriber.quit();
  }

  // Writes go out in call order on one connection, so an upsert then a remove land in that order.
  private write(id: string, json: string): void {
    this.track(
      writeScript.run(
        this.opts.redis,
        [this.ownKey],
        [id, json, this.opts.presence.ttlMs, this.keys.roomsChannel],
      ),
    );
  }

  private republish(): Promise<unknown> {
    const args: string[] = [];
    for (const [id, l] of this.mine) args.push(id, encodeListing(l));
    return republishScript.run(
      this.opts.redis,
      [this.ownKey],
      [this.opts.presence.ttlMs, this.keys.roomsChannel, ...args],
    );
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => (this.opts.onError ?? defaultOnError)(err));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}

/** A listing as JSON with its keys in one order, so equal listings are equal strings. */
function encodeListing(l: RoomListing): string {
  const { id, phase, players, scores, spectators, joinable, node } = l;
  return JSON.stringify({ id, phase, players, scores, spectators, joinable, node });
}

function defaultOnError(err: unknown): void {
  console.error('room directory:', err);
}
