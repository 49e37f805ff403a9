import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ROOM_PHASES } from '../shared/protocol/messages.ts';
import type { MatchmakingQueue } from './lobby/matchmaking-queue.ts';
import type { GameRoom } from './rooms/game-room.ts';
import type { RoomManager } from './rooms/room-manager.ts';
import type { Scheduler } from './rooms/scheduler.ts';

/** Buckets in ms: a 60 Hz tick is 16.7 ms; lateness targets are a few ms. */
const TICK_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100, 250];

export interface MetricsSources {
  rooms: RoomManager;
  queue: MatchmakingQueue;
  scheduler: Scheduler;
  sockets: () => number;
}

/** Prometheus metrics of one server (its own registry: several apps in one test process never clash). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly tickDuration = new Histogram({
    name: 'pong_tick_duration_ms',
    help: 'Time to step every room in one scheduler tick, ms',
    buckets: TICK_BUCKETS_MS,
    registers: [this.registry],
  });
  readonly tickLateness = new Histogram({
    name: 'pong_tick_lateness_ms',
    help: 'How late a tick started compared to its schedule, ms',
    buckets: TICK_BUCKETS_MS,
    registers: [this.registry],
  });
  /**
   * Counted in plain fields on the hot path (30 snapshots and 40 inputs per room per second): no
   * label hashing per message. The counters below read them when Prometheus scrapes.
   */
  readonly hot = { snapshots: 0, snapshotBytes: 0, inputs: 0, framesIntercepted: 0 };
  readonly inputsDropped = new Counter({
    name: 'pong_inputs_dropped_total',
    help: 'Input messages dropped, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'pong_rejected_messages_total',
    help: 'Client messages refused, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly disconnectedAbusers = new Counter({
    name: 'pong_abusive_disconnects_total',
    help: 'Sockets disconnected for flooding',
    registers: [this.registry],
  });

  constructor() {
    // prom-client samples event-loop delay with a 10 ms timer by default: 100 wake-ups a second,
    // measured at about 10 ms of CPU a second on an idle node (a cost each node of a cluster pays).
    // The game loop's own lateness is pong_tick_lateness_ms; 100 ms is enough for the rest.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    this.hotCounter(
      'pong_snapshot_bytes_sent_total',
      'Snapshot payload bytes sent, summed over recipients',
      'snapshotBytes',
    );
    this.hotCounter(
      'pong_snapshots_broadcast_total',
      'Snapshots encoded and broadcast (once per room per snapshot)',
      'snapshots',
    );
    this.hotCounter('pong_inputs_received_total', 'Input messages received', 'inputs');
    this.hotCounter(
      'pong_input_frames_intercepted_total',
      'Binary input frames taken off the transport before socket.io (the rest came through its decoder)',
      'framesIntercepted',
    );
  }

  /** Registers the gauges read from the live server at scrape time. */
  watch(src: MetricsSources): void {
    new Gauge({
      name: 'pong_rooms',
      help: 'Rooms, by phase',
      labelNames: ['phase'] as const,
      registers: [this.registry],
      collect() {
        const counts = Object.fromEntries(ROOM_PHASES.map((p) => [p, 0])) as Record<string, number>;
        for (const room of src.rooms.all()) counts[room.phase] = (counts[room.phase] ?? 0) + 1;
        for (const [phase, n] of Object.entries(counts)) this.set({ phase }, n);
      },
    });
    const sumRooms = (of: (room: GameRoom) => number) => () => {
      let n = 0;
      for (const room of src.rooms.all()) n += of(room);
      return n;
    };
    this.gauge(
      'pong_players',
      'Players connected to a seat',
      sumRooms((r) => r.connectedPlayers),
    );
    this.gauge(
      'pong_spectators',
      'Spectators in rooms',
      sumRooms((r) => r.spectatorCount),
    );
    this.gauge('pong_queue_length', 'Players waiting for a quick match', () => src.queue.size);
    this.gauge(
      'pong_scheduler_targets',
      'Things the game loop steps (rooms, the lobby publisher, the quick-match pairer; a room steps its computer player)',
      () => src.scheduler.size,
    );
    this.gauge('pong_sockets', 'Connected socket.io clients', src.sockets);
    this.gauge('pong_scheduler_ticks', 'Ticks run by the game loop', () => src.scheduler.ticks);
    this.gauge(
      'pong_scheduler_dropped_ticks',
      'Ticks skipped because the process stalled beyond the catch-up cap',
      () => src.scheduler.droppedTicks,
    );
  }

  private hotCounter(name: string, help: string, field: keyof ServerMetrics['hot']): Counter {
    const hot = this.hot;
    return new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(hot[field]);
      },
    });
  }

  /** A gauge read from the live server when Prometheus scrapes. */
  private gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }
}
