import { decodeSnapshot, unwrap, type Snapshot } from '../../../shared/codec/snapshot.ts';
import { FIELD_HEIGHT_PX } from '../../../shared/constants.ts';
import type { JoinOk, Role, RoomInfo, RoomPhase } from '../../../shared/protocol/messages.ts';
import type { Intent } from '../../../shared/sim/types.ts';
import { ClockSync } from './clock-sync.ts';
import type { GameSocket } from './connection.ts';
import { LinkMonitor, type LinkState } from './link-monitor.ts';
import { PaddlePredictor } from './prediction.ts';
import { SnapshotBuffer } from './snapshot-buffer.ts';

export const PING_INTERVAL_MS = 2000;
/** Until the clock has settled, pings go this often (spaced, so start-up work does not skew them all). */
export const WARMUP_PING_INTERVAL_MS = 250;
/**
 * Frames this far apart mean the page is not drawing (a hidden tab, or Phaser still booting): the
 * snapshots then clock the input ticks, so the server keeps hearing from this player 20 times a
 * second and never mistakes a hidden tab for a dead link.
 */
export const FRAME_GAP_MS = 200;

/** What a frame draws and the HUD shows. */
export interface MatchView {
  ball: { x: number; y: number };
  paddles: [number, number];
  scores: [number, number];
  phase: RoomPhase;
  timerTenths: number;
  role: Role;
  room: RoomInfo;
  /** Round trip shown to the player; null until clock sync has settled. */
  pingMs: number | null;
  /** Snapshot jitter, ms; null until measured. */
  jitterMs: number | null;
  link: LinkState;
}

/**
 * The client side of one joined room: clock sync, snapshot buffer + interpolation for the ball and
 * the opponent, prediction for the own paddle. DOM-free and clock-injected, so the netcode bench
 * drives exactly this code in Node.
 */
export class MatchSession {
  readonly clock = new ClockSync();
  readonly link: LinkMonitor;
  readonly buffer: SnapshotBuffer;
  readonly predictor: PaddlePredictor | null;
  readonly role: Role;
  room: RoomInfo;
  private lastServerTime: number | null = null;
  private pingTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFrameMs: number | null = null;
  private readonly seat: 0 | 1 | null;
  snapshotsReceived = 0;

  constructor(
    private readonly socket: GameSocket,
    join: JoinOk,
    private readonly now: () => number,
  ) {
    this.role = join.role;
    this.room = join.room;
    this.seat = join.role === 'left' ? 0 : join.role === 'right' ? 1 : null;
    this.link = new LinkMonitor(now());
    this.buffer = new SnapshotBuffer(1000 / join.rules.snapshotHz);
    // Inputs only while connected: socket.io would otherwise queue them all and flush the backlog
    // on reconnect, before the join that makes them meaningful (and into the rate limit).
    this.predictor =
      this.seat === null
        ? null
        : new PaddlePredictor(join.rules, FIELD_HEIGHT_PX / 2, (msg) => {
            if (this.socket.connected) this.socket.emit('input', msg);
          });
    socket.on('snapshot', this.onSnapshot);
    socket.on('room:state', this.onRoomState);
  }

  private readonly onSnapshot = (bytes: Uint8Array | ArrayBuffer): void => {
    let snap: Snapshot;
    try {
      snap = decodeSnapshot(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    } catch {
      return; // A frame we cannot read is never drawn.
    }
    const serverTimeMs = unwrap(snap.serverTimeMs, this.lastServerTime ?? snap.serverTimeMs, 32);
    this.lastServerTime = serverTimeMs;
    const full = { ...snap, serverTimeMs };
    const arrived = this.now();
    this.link.snapshot(arrived, serverTimeMs);
    this.clock.seed(serverTimeMs, arrived);
    this.buffer.push(full, this.clock.serverNow(arrived));
    this.snapshotsReceived += 1;
    if (this.predictor && this.seat !== null) {
      // No frames (hidden tab, scene not started): run the due ticks here, idle, so inputs keep flowing.
      if (this.lastFrameMs === null || arrived - this.lastFrameMs > FRAME_GAP_MS)
        this.predictor.update(arrived, 0);
      const movable = full.phase === 'countdown' || full.phase === 'playing';
      this.predictor.reconcile(full.paddles[this.seat], full.acks[this.seat], movable);
    }
  };

  private readonly onRoomState = (info: RoomInfo): void => {
    this.room = info;
  };

  /** Sends one clock-sync ping; the answer updates the offset and the ping shown. */
  ping(): void {
    // A ping queued while disconnected would measure the outage, not the link.
    if (!this.socket.connected) return;
    const sentAt = this.now();
    this.socket.timeout(5000).emit('time:ping', (err: Error | null, serverTime: number) => {
      if (err || typeof serverTime !== 'number') return;
      this.clock.addSample(sentAt, serverTime, this.now());
    });
  }

  /** Pings every WARMUP_PING_INTERVAL_MS until the clock has settled, then every PING_INTERVAL_MS. */
  startPinging(): void {
    if (this.pingTimer) return;
    const next = () => {
      this.ping();
      this.pingTimer = setTimeout(next, this.clock.settled ? PING_INTERVAL_MS : WARMUP_PING_INTERVAL_MS);
    };
    next();
  }

  /** Advances prediction to `nowMs` with the player's intent and returns what to draw. */
  frame(nowMs: number, intent: Intent): MatchView | null {
    this.lastFrameMs = nowMs;
    this.predictor?.update(nowMs, intent);
    const v = this.buffer.sample(this.clock.serverNow(nowMs));
    if (!v) return null;
    const paddles: [number, number] = [v.paddles[0], v.paddles[1]];
    if (this.predictor && this.seat !== null) paddles[this.seat] = this.predictor.y;
    return {
      ball: v.ball,
      paddles,
      scores: v.latest.scores,
      phase: v.latest.phase,
      timerTenths: v.latest.timerTenths,
      role: this.role,
      room: this.room,
      pingMs: this.clock.shownRttMs,
      jitterMs: this.link.jitterMs,
      link: this.link.state(nowMs),
    };
  }

  dispose(): void {
    if (this.pingTimer) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    this.socket.off('snapshot', this.onSnapshot);
    this.socket.off('room:state', this.onRoomState);
  }
}
