import { randomBytes, randomInt } from 'node:crypto';
import type { Rules } from '../../shared/sim/types.ts';
import type { Config } from '../config.ts';
import type { Clock } from './clock.ts';
import { GameRoom, type RoomKind, type RoomTransport } from './game-room.ts';
import type { Scheduler } from './scheduler.ts';

/** Room codes: 12 base64url characters from the OS CSPRNG (72 bits), unguessable by design. */
export function newRoomCode(): string {
  return randomBytes(9).toString('base64url');
}

/** Seat tokens: 144 random bits; they only ever travel to the seat's own player. */
export function newSeatToken(): string {
  return randomBytes(18).toString('base64url');
}

export interface RoomManagerDeps {
  config: Config;
  clock: Clock;
  scheduler: Scheduler;
  transportFor: (code: string) => RoomTransport;
  onRoomClosed?: (room: GameRoom, reason: string) => void;
}

/** The rooms this process owns: creates them, registers them with the scheduler, forgets them on close. */
export class RoomManager {
  private readonly rooms = new Map<string, GameRoom>();
  readonly rules: Rules;
  createdTotal = 0;

  constructor(private readonly deps: RoomManagerDeps) {
    this.rules = {
      tickHz: deps.config.tickHz,
      pointsToWin: deps.config.pointsToWin,
      countdownMs: deps.config.countdownMs,
    };
  }

  get size(): number {
    return this.rooms.size;
  }

  get(code: string): GameRoom | undefined {
    return this.rooms.get(code);
  }

  all(): IterableIterator<GameRoom> {
    return this.rooms.values();
  }

  create(kind: RoomKind): GameRoom {
    let code = newRoomCode();
    while (this.rooms.has(code)) code = newRoomCode();
    const { config } = this.deps;
    const room = new GameRoom({
      code,
      kind,
      rules: this.rules,
      snapshotHz: config.snapshotHz,
      reconnectGraceMs: config.reconnectGraceMs,
      joinDeadlineMs: config.privateRoomJoinDeadlineMs,
      finishedTtlMs: config.finishedRoomTtlMs,
      clock: this.deps.clock,
      transport: this.deps.transportFor(code),
      newSeed: () => randomInt(0, 2 ** 32 - 1),
      newToken: newSeatToken,
      onClose: (r, reason) => {
        this.rooms.delete(r.code);
        this.deps.scheduler.remove(r);
        this.deps.onRoomClosed?.(r, reason);
      },
    });
    this.rooms.set(code, room);
    this.deps.scheduler.add(room);
    this.createdTotal += 1;
    return room;
  }

  closeAll(reason: string): void {
    for (const room of [...this.rooms.values()]) room.close(reason);
  }
}
