import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COUNTDOWN_MS,
  DEFAULT_POINTS_TO_WIN,
  DEFAULT_SNAPSHOT_HZ,
  DEFAULT_TICK_HZ,
} from '../shared/constants.ts';
import { DEFAULT_KEY_PREFIX } from './cluster/redis-keys.ts';
import type { FanoutMode } from './transport/snapshot-fanout.ts';

/** Everything the server reads from its environment, parsed once at start-up. */
export interface Config {
  /** This process's id among several behind one balancer (NODE_ID); also in /healthz and listings. */
  nodeId: string;
  /** Redis shared by several nodes (REDIS_URL); null runs one process on its own, in memory. */
  redisUrl: string | null;
  /** Prefix of every cluster key (REDIS_KEY_PREFIX): several arenas (or test runs) may share one Redis. */
  redisKeyPrefix: string;
  /** Password of the socket.io Admin UI at /admin (ADMIN_PASSWORD); null leaves it off. */
  adminPassword: string | null;
  port: number;
  host: string;
  tickHz: number;
  snapshotHz: number;
  pointsToWin: number;
  countdownMs: number;
  /** How long a dropped player's seat is held before they forfeit. */
  reconnectGraceMs: number;
  /** A seated player silent this long is stalled: the match pauses as for a drop. */
  stallMs: number;
  /** socket.io heartbeat: a ping every pingIntervalMs, the link is dead after pingTimeoutMs more. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /**
   * How snapshots reach WebSocket members: `direct` writes the shared frame to ws's sender when
   * engine.io's preconditions hold, `engine` always hands it to engine.io (a bench knob).
   */
  snapshotFanout: FanoutMode;
  /** A private room that nobody else joins within this time closes. */
  privateRoomJoinDeadlineMs: number;
  /** A finished room lingers this long for a rematch, then closes. */
  finishedRoomTtlMs: number;
  /** Requests per minute per client address on the HTTP API (/api/*). */
  apiRequestsPerMinute: number;
  /** Folder with the built client (index.html); null serves no static files. */
  clientDir: string | null;
  logLevel: string;
}

/** dist/client, whether this file runs from source (server/config.ts) or compiled (dist/server/config.js). */
export const DEFAULT_CLIENT_DIR = fileURLToPath(
  new URL(
    basename(dirname(dirname(fileURLToPath(import.meta.url)))) === 'dist' ? '../client' : '../dist/client',
    import.meta.url,
  ),
);

export const DEFAULT_CONFIG: Config = {
  nodeId: 'node1',
  redisUrl: null,
  redisKeyPrefix: DEFAULT_KEY_PREFIX,
  adminPassword: null,
  port: 3000,
  host: '0.0.0.0',
  tickHz: DEFAULT_TICK_HZ,
  snapshotHz: DEFAULT_SNAPSHOT_HZ,
  pointsToWin: DEFAULT_POINTS_TO_WIN,
  countdownMs: COUNTDOWN_MS,
  reconnectGraceMs: 15_000,
  stallMs: 1_000,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 5_000,
  snapshotFanout: 'direct',
  privateRoomJoinDeadlineMs: 10 * 60_000,
  finishedRoomTtlMs: 2 * 60_000,
  apiRequestsPerMinute: 120,
  clientDir: DEFAULT_CLIENT_DIR,
  logLevel: 'info',
};

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** Reads the configuration from environment variables; throws a readable error on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const tickHz = int(env, 'TICK_HZ', DEFAULT_CONFIG.tickHz, 10, 240);
  const snapshotHz = int(env, 'SNAPSHOT_HZ', DEFAULT_CONFIG.snapshotHz, 1, tickHz);
  return {
    ...DEFAULT_CONFIG,
    nodeId: nodeId(env.NODE_ID),
    redisUrl: env.REDIS_URL?.trim() || null,
    redisKeyPrefix: redisKeyPrefix(env.REDIS_KEY_PREFIX),
    adminPassword: env.ADMIN_PASSWORD || null,
    port: int(env, 'PORT', DEFAULT_CONFIG.port, 0, 65535),
    host: env.HOST ?? DEFAULT_CONFIG.host,
    tickHz,
    snapshotHz,
    pointsToWin: int(env, 'POINTS_TO_WIN', DEFAULT_CONFIG.pointsToWin, 1, 99),
    reconnectGraceMs: int(env, 'RECONNECT_GRACE_MS', DEFAULT_CONFIG.reconnectGraceMs, 0, 600_000),
    stallMs: int(env, 'STALL_MS', DEFAULT_CONFIG.stallMs, 100, 600_000),
    pingIntervalMs: int(env, 'PING_INTERVAL_MS', DEFAULT_CONFIG.pingIntervalMs, 1_000, 600_000),
    pingTimeoutMs: int(env, 'PING_TIMEOUT_MS', DEFAULT_CONFIG.pingTimeoutMs, 1_000, 600_000),
    snapshotFanout: fanoutMode(env.SNAPSHOT_FANOUT),
    apiRequestsPerMinute: int(
      env,
      'API_REQUESTS_PER_MINUTE',
      DEFAULT_CONFIG.apiRequestsPerMinute,
      1,
      100_000_000,
    ),
    clientDir: env.CLIENT_DIR ?? DEFAULT_CONFIG.clientDir,
    logLevel: env.LOG_LEVEL ?? DEFAULT_CONFIG.logLevel,
  };
}

function fanoutMode(raw: string | undefined): FanoutMode {
  if (raw === undefined || raw === '') return DEFAULT_CONFIG.snapshotFanout;
  if (raw === 'direct' || raw === 'engine') return raw;
  throw new Error(`SNAPSHOT_FANOUT must be "direct" or "engine", got "${raw}"`);
}

/** A hash tag (`{…}`) keeps every key in one Redis Cluster slot, which the Lua scripts need. */
function redisKeyPrefix(raw: string | undefined): string {
  if (raw === undefined || raw === '') return DEFAULT_KEY_PREFIX;
  if (/^\{[A-Za-z0-9_:.-]{1,64}\}$/.test(raw)) return raw;
  throw new Error(
    `REDIS_KEY_PREFIX must be a hash tag like "{pong}" (letters, digits, _ : . -), got "${raw}"`,
  );
}

/** Node ids travel in URLs (`?node=`) and Redis keys: short and plain. */
function nodeId(raw: string | undefined): string {
  if (raw === undefined || raw === '') return DEFAULT_CONFIG.nodeId;
  if (/^[A-Za-z0-9_-]{1,32}$/.test(raw)) return raw;
  throw new Error(`NODE_ID must be 1 to 32 letters, digits, "_" or "-", got "${raw}"`);
}
