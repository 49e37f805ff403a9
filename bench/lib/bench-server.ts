import { DEFAULT_SNAPSHOT_HZ, DEFAULT_TICK_HZ } from '../../shared/constants.ts';

/** The production build's entry, as `npm start` runs it. */
export const SERVER_ENTRY = 'dist/server/main.js';
/** The line our server (and the floor) prints once it listens; group 1 is the port (PORT=0). */
export const READY_LINE = /https?:\/\/[^\s/]+:(\d+)\//;
export const READY_TIMEOUT_MS = 30_000;
/** Matches long enough that no room finishes inside a window: every room keeps simulating. */
export const BENCH_POINTS_TO_WIN = 99;

/**
 * The environment every bench run of our server gets, whether alone or as a cluster node: the
 * build's default fan-out (a SNAPSHOT_FANOUT in the bench's own environment must not leak into it),
 * a port of its own, quiet logs, the default rates. `extra` goes on top.
 */
export function benchServerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SNAPSHOT_FANOUT: undefined,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    TICK_HZ: String(DEFAULT_TICK_HZ),
    SNAPSHOT_HZ: String(DEFAULT_SNAPSHOT_HZ),
    POINTS_TO_WIN: String(BENCH_POINTS_TO_WIN),
    ...extra,
  };
}
