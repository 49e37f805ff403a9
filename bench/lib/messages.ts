/** IPC between bench/run.ts and the load generator, and the figures the generator reports. */

/**
 * What a run measures: `ours` is the production build as configured by default, `ours-engine` the
 * same build with SNAPSHOT_FANOUT=engine (snapshots always through engine.io's supported path), and
 * `floor` the ws-only floor server (bench/floor-server.ts).
 */
export type Variant = 'ours' | 'ours-engine' | 'floor';
export const ALL_VARIANTS: readonly Variant[] = ['ours', 'ours-engine', 'floor'];

export function isVariant(name: string): name is Variant {
  return (ALL_VARIANTS as readonly string[]).includes(name);
}

/** Which wire protocol the load generator speaks to a variant's server. */
export function protocolOf(variant: Variant): 'socket.io' | 'floor' {
  return variant === 'floor' ? 'floor' : 'socket.io';
}
export type ClientRole = 'player' | 'spectator';

/** Runner → load generator. */
export type RunnerMessage = { type: 'window-start' } | { type: 'window-end' } | { type: 'stop' };

/** Downstream traffic of one kind of client over the window. */
export interface ClientGroupStats {
  clients: number;
  /** TCP payload bytes read (WebSocket frames with their headers), summed over the clients. */
  bytes: number;
  snapshots: number;
  bytesPerClientSec: number;
  snapshotsPerClientSec: number;
}

export interface LoadGenWindowStats {
  windowMs: number;
  player: ClientGroupStats;
  spectator: ClientGroupStats;
  /** Time between two snapshots at the same client, over every client. */
  snapshotIntervalMs: { p50: number; p99: number; max: number; samples: number };
  inputsSent: number;
  /** Inputs the players were due to send over the window at the fixed rate (what a stall cuts short). */
  inputsDue: number;
  /** The generator's own CPU over the window, % of one core. */
  cpuPct: number;
  /** Event-loop delay p99 beyond the probe's resolution, ms. */
  loopDelayP99Ms: number;
  /** True when the generator was too busy for the figures to be trusted. */
  saturated: boolean;
  disconnects: number;
  serverErrors: number;
  badFrames: number;
}

/** Load generator → runner. */
export type LoadGenMessage =
  | { type: 'joined'; clients: number; joinMs: number }
  | { type: 'window'; stats: LoadGenWindowStats }
  | { type: 'error'; message: string };
