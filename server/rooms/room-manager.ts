import { randomBytes, randomInt } from 'node:crypto';
import type { ComputerLevel } from '../../shared/protocol/messages.ts';
import type { Rules } from '../../shared/sim/types.ts';
import type { RoomDirectory } from '../lobby/room-directory.ts';
import type { Config } from '../config.ts';
import type { Clock } from './clock.ts';
import { ComputerPlayer } from './computer-player.ts';
import {
  GameRoom,
  type MatchEnd,
  type RoomCheckpoint,
  type RoomKind,
  type RoomTransport,
} from './game-room.ts';
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
  /** Public and practice rooms are listed here; private rooms never are. */
  directory: RoomDirectory;
  onRoomClosed?: (room: GameRoom, reason: string) => void;
  /** A room opened here: created, or restored from another node's checkpoint. */
  onRoomOpened?: (room: GameRoom) => void;
  /** Roster, phase or score of a room changed. */
  onRoomChanged?: (room: GameRoom) => void;
  /** Every finished match of every room (recorded by the gateway's MatchResults). */
  onMatchEnd?: (room: GameRoom, end: MatchEnd) => void;
}

/** The rooms this process owns: creates them, registers them with the scheduler, forgets them on close. */
export class RoomManager {
  private readonly rooms = new Map<string, GameRoom>();
  private readonly byId = new Map<string, GameRoom>();
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

  /** A room by its public id (lobby listings, Watch). */
  getById(id: string): GameRoom | undefined {
    return this.byId.get(id);
  }

  /** True when this player already holds a seat in a match that is not over, in any room. */
  hasLiveSeat(playerId: string): boolean {
    for (const room of this.rooms.values()) if (room.hasLiveSeat(playerId)) return true;
    return false;
  }

  all(): IterableIterator<GameRoom> {
    return this.rooms.values();
  }

  create(kind: RoomKind): GameRoom {
    let code = newRoomCode();
    while (this.rooms.has(code)) code = newRoomCode();
    let id = newRoomCode();
    while (this.byId.has(id)) id = newRoomCode();
    const room = this.open(code, id, kind);
    this.deps.onRoomOpened?.(room);
    return room;
  }

  /**
   * Resumes a room checkpointed by another node (it died, or handed its rooms over): same code, id
   * and match, every seat away until its player comes back with the token; a practice room gets its
   * computer player back. Returns the room already here when there is one.
   */
  restore(from: RoomCheckpoint): GameRoom {
    const existing = this.rooms.get(from.code);
    if (existing) return existing;
    const room = this.open(from.code, from.id, from.kind, from);
    const computer = room.computerSeat;
    if (computer) {
      const player = new ComputerPlayer(room, computer.seat, computer.level);
      room.reattachBot(player.memberId, player);
    }
    this.deps.onRoomOpened?.(room);
    return room;
  }

  private open(code: string, id: string, kind: RoomKind, from?: RoomCheckpoint): GameRoom {
    const { config, directory } = this.deps;
    const listed = kind !== 'private';
    const room = new GameRoom(
      {
        code,
        id,
        nodeId: config.nodeId,
        kind,
        rules: this.rules,
        snapshotHz: config.snapshotHz,
        reconnectGraceMs: config.reconnectGraceMs,
        stallMs: config.stallMs,
        joinDeadlineMs: config.privateRoomJoinDeadlineMs,
        finishedTtlMs: config.finishedRoomTtlMs,
        clock: this.deps.clock,
        transport: this.deps.transportFor(code),
        newSeed: () => randomInt(0, 2 ** 32 - 1),
        newToken: newSeatToken,
        onClose: (r, reason) => {
          this.rooms.delete(r.code);
          this.byId.delete(r.id);
          this.deps.scheduler.remove(r);
          if (listed) directory.remove(r.id);
          this.deps.onRoomClosed?.(r, reason);
        },
        onMatchEnd: this.deps.onMatchEnd,
        onChange: (r) => {
          this.deps.onRoomChanged?.(r);
          if (!listed || r.isClosed) return;
          // Finished matches leave the list; a rematch brings the room back.
          if (r.phase === 'finished') directory.remove(r.id);
          else directory.upsert(r.listing());
        },
      },
      from,
    );
    this.rooms.set(code, room);
    this.byId.set(id, room);
    this.deps.scheduler.add(room);
    this.createdTotal += 1;
    // A restored room is listed at once (its players are on their way back).
    if (from && listed && room.phase !== 'finished') directory.upsert(room.listing());
    return room;
  }

  /** Seats a computer player of the given level in the room's free seat. */
  addComputer(room: GameRoom, level: ComputerLevel): ComputerPlayer {
    const seat = room.info().players[0] === null ? 0 : 1;
    const computer = new ComputerPlayer(room, seat, level);
    room.joinBot(computer.memberId, `Computer (${level})`, computer);
    return computer;
  }

  closeAll(reason: string): void {
    for (const room of [...this.rooms.values()]) room.close(reason);
  }
}
