/**
 * Every Redis key and channel the cluster uses, in one place (docs/OPERATIONS.md, "Redis keys",
 * lists them with their TTLs). The default prefix is a hash tag, `{pong}`, so on a Redis Cluster
 * every key lands in one slot and the Lua scripts may touch keys they compute.
 */
export const DEFAULT_KEY_PREFIX = '{pong}';

/** Node ids travel in URLs (`?node=`) and key names: keep them short and plain. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface ClusterKeys {
  /** SET of node ids that registered and were not yet found dead. */
  nodes: string;
  /** Prefix of each node's presence key (STRING, PX = presence TTL). */
  nodePrefix: string;
  /** Prefix of each node's room listings (HASH room id → listing JSON, PX = presence TTL). */
  roomsPrefix: string;
  /** Pub/sub channel: a listing changed or a node's listings vanished. */
  roomsChannel: string;
  /** HASH player id → queue entry JSON (no TTL: entries of dead nodes are purged). */
  queueEntries: string;
  /** HASH socket id → player id, to cancel by socket. */
  queueSockets: string;
  /** Prefix of each room's lease (STRING owner node id, PX = lease TTL). */
  leasePrefix: string;
  /** Prefix of each room's checkpoint (STRING bytes, PX = checkpoint TTL). */
  checkpointPrefix: string;
  /** Prefix of each room's replay log in segments (LIST of segment JSON, PX = checkpoint TTL). */
  checkpointLogPrefix: string;
  /** Prefix of each room's code → public id route (STRING, PX = checkpoint TTL). */
  roomCodePrefix: string;
}

export function clusterKeys(prefix: string = DEFAULT_KEY_PREFIX): ClusterKeys {
  return {
    nodes: `${prefix}:nodes`,
    nodePrefix: `${prefix}:node:`,
    roomsPrefix: `${prefix}:rooms:`,
    roomsChannel: `${prefix}:events:rooms`,
    queueEntries: `${prefix}:queue:entries`,
    queueSockets: `${prefix}:queue:sockets`,
    leasePrefix: `${prefix}:lease:`,
    checkpointPrefix: `${prefix}:checkpoint:`,
    checkpointLogPrefix: `${prefix}:checkpoint-log:`,
    roomCodePrefix: `${prefix}:code:`,
  };
}

/** Throws a readable error for a node id that cannot be used in a URL or a key. */
export function checkNodeId(nodeId: string): string {
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new Error(`NODE_ID must be 1-64 letters, digits, "-" or "_", got "${nodeId}"`);
  }
  return nodeId;
}
