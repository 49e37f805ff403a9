import { ManualClock } from '../../../server/rooms/clock.ts';
import { GameRoom, type GameRoomOptions, type RoomCheckpoint } from '../../../server/rooms/game-room.ts';
import { decodeSnapshot, type Snapshot } from '../../../shared/codec/snapshot.ts';
import type { RoomPhase } from '../../../shared/protocol/messages.ts';
import type { Intent, Rules } from '../../../shared/sim/types.ts';
import { RecordingTransport } from './recording-transport.ts';

/** Small, round numbers: a 20 ms tick, a 10-tick countdown, short deadlines. */
export const TEST_RULES: Rules = { tickHz: 50, pointsToWin: 2, countdownMs: 200 };

export type HarnessOptions = Partial<Omit<GameRoomOptions, 'clock' | 'transport' | 'onClose'>>;

/**
 * One GameRoom with an injected ManualClock and a recording transport. `tick()` moves the clock
 * one period and ticks the room at that time, as the Scheduler would. With `from`, the room is
 * resumed from that checkpoint (as on another node).
 */
export class RoomHarness {
  readonly clock = new ManualClock(1_000);
  readonly transport = new RecordingTransport();
  readonly closes: string[] = [];
  readonly room: GameRoom;
  readonly periodMs: number;
  readonly options: GameRoomOptions;
  private readonly held = new Map<string, { intent: Intent; seq: number }>();
  private tokens = 0;

  constructor(overrides: HarnessOptions = {}, from?: RoomCheckpoint) {
    this.options = {
      code: 'ROOM-CODE-1',
      id: 'ROOM-ID-01',
      nodeId: 'node1',
      kind: 'private',
      rules: TEST_RULES,
      snapshotHz: 25,
      reconnectGraceMs: 1_000,
      stallMs: 1_000,
      joinDeadlineMs: 5_000,
      finishedTtlMs: 2_000,
      clock: this.clock,
      transport: this.transport,
      newSeed: () => 7,
      newToken: () => `token-${(this.tokens += 1)}`,
      onClose: (_room, reason) => this.closes.push(reason),
      ...overrides,
    };
    this.room = new GameRoom(this.options, from);
    this.periodMs = 1000 / this.options.rules.tickHz;
  }

  /** From now on `memberId` sends one tick of `intent` before every room tick (a live client). */
  hold(memberId: string, intent: Intent): void {
    const current = this.held.get(memberId);
    this.held.set(memberId, { intent, seq: current?.seq ?? 0 });
  }

  /** Stops sending input for `memberId` (it dropped, or left). */
  release(memberId: string): void {
    this.held.delete(memberId);
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i += 1) {
      for (const [id, h] of this.held) {
        h.seq += 1;
        this.room.input(id, h.seq, h.intent, 1);
      }
      this.clock.advance(this.periodMs);
      this.room.tick(this.clock.now());
    }
  }

  /** Ticks until `done()` holds; returns how many ticks it took. */
  tickUntil(done: () => boolean, maxTicks = 20_000): number {
    for (let n = 0; n < maxTicks; n += 1) {
      if (done()) return n;
      this.tick();
    }
    throw new Error(`condition not reached in ${maxTicks} ticks (phase ${this.room.phase})`);
  }

  /** Decoded snapshots broadcast since event index `from`. */
  broadcastSnapshots(from = 0): Snapshot[] {
    return this.transport.events
      .slice(from)
      .flatMap((e) => (e.kind === 'broadcastSnapshot' ? [decodeSnapshot(e.bytes)] : []));
  }

  /** Phases announced through broadcastState since `from`, consecutive repeats removed. */
  announcedPhases(from = 0): RoomPhase[] {
    const out: RoomPhase[] = [];
    for (const e of this.transport.events.slice(from)) {
      if (e.kind === 'broadcastState' && out[out.length - 1] !== e.info.phase) out.push(e.info.phase);
    }
    return out;
  }
}
