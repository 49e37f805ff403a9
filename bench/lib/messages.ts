/** IPC between bench/run.ts and the load generator, and the figures the generator reports. */

export type Variant = 'ours' | 'floor';
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
