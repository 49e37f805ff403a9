import { createHash } from 'node:crypto';
import { emptySnapshot, encodeSnapshot, type Snapshot } from '../../shared/codec/snapshot.ts';
import { FIELD_HEIGHT_PX, FIELD_WIDTH_PX } from '../../shared/constants.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import type {
  ComputerLevel,
  PlayerInfo,
  Role,
  RoomInfo,
  RoomKind,
  RoomListing,
  RoomPhase,
} from '../../shared/protocol/messages.ts';
import {
  InputRecorder,
  START_MARK,
  type Forfeit,
  type InputLog,
  type LogMark,
  type LogSegment,
} from '../../shared/replay/input-log.ts';
import { countdownTicks, createMatch, stepInPlace } from '../../shared/sim/step.ts';
import type { Intent, MatchState, Rules, Seat } from '../../shared/sim/types.ts';
import { newMatchId } from '../store/ids.ts';
import type { Clock } from './clock.ts';
import { InputQueue } from './input-queue.ts';
import type { Tickable } from './scheduler.ts';

export type { RoomKind };

/** How a room reaches its members; the gateway binds it to socket.io, tests to plain arrays. */
export interface RoomTransport {
  /** Sends the snapshot to every member; read it before returning (the room reuses the object). */
  broadcastSnapshot(snapshot: Snapshot): void;
  broadcastState(info: RoomInfo): void;
  sendSnapshot(memberId: string, bytes: Uint8Array): void;
}

export interface GameRoomOptions {
  code: string;
  /** Public id for lobby listings and Watch; distinct from the secret code. */
  id: string;
  /** The node that owns the room, named in its listing. */
  nodeId: string;
  kind: RoomKind;
  rules: Rules;
  snapshotHz: number;
  reconnectGraceMs: number;
  /**
   * A seated player heard from for this long is stalled: the match pauses as for a drop, and the
   * seat's grace starts then. Players send input 20 times a second whatever they do, so silence
   * means a dead link long before any heartbeat could tell.
   */
  stallMs: number;
  joinDeadlineMs: number;
  finishedTtlMs: number;
  clock: Clock;
  transport: RoomTransport;
  newSeed: () => number;
  newToken: () => string;
  onClose: (room: GameRoom, reason: string) => void;
  /** Roster, phase or score changed (feeds the lobby directory). */
  onChange?: (room: GameRoom) => void;
  /** A match ended (on points or by a forfeit), in the tick that ended it: must not block. */
  onMatchEnd?: (room: GameRoom, end: MatchEnd) => void;
  /** One id per match (a rematch is a new match); newMatchId() by default. */
  newMatchId?: () => string;
}

/** A finished match as its room played it: enough to record it and to replay it exactly. */
export interface MatchEnd {
  matchId: string;
  kind: RoomKind;
  /** Per seat: the profile that played it (null for a guest or a computer player). */
  players: [{ profileId: string | null; nickname: string }, { profileId: string | null; nickname: string }];
  scores: [number, number];
  winner: Seat;
  forfeit: Forfeit | null;
  seed: number;
  rules: Rules;
  /** Every step's intents and the live ticks without a step (pauses, resume countdowns). */
  log: InputLog;
  /** On the room's clock, whole ms: from the start of the match to the tick that ended it. */
  durationMs: number;
}

/** The match being played, as it is recorded. */
interface Recording {
  id: string;
  seed: number;
  recorder: InputRecorder;
  startedAtMs: number;
  forfeit: Forfeit | null;
}

/** How a member enters a room. */
export interface JoinOptions {
  nickname: string;
  /** A seat token: reclaims that seat (after a drop, a reload, or from a newer tab). */
  token?: string;
  /** The browser's player id (one live seat per player); the member id when absent. */
  playerId?: string;
  /** False to watch even when a seat is free. */
  wantsSeat?: boolean;
  /** The player's verified profile (its id is the playerId); rated matches need one on each seat. */
  profileId?: string | null;
}

interface SeatState {
  nickname: string;
  /** The browser's player id (one live seat per player); the member id for computer players. */
  playerId: string;
  /** SHA-256 of the seat token: the room (and its checkpoints) never keeps the token itself. */
  tokenHash: string;
  /** The seat's verified profile (same id as playerId), null for a guest or a computer player. */
  profileId: string | null;
  /** null while the player is disconnected and the seat is held for them. */
  memberId: string | null;
  /** When the seat's member was last heard from (any message). */
  heardAtMs: number;
  /** True while the member is connected but silent for stallMs or more. */
  stalled: boolean;
  /** When the seat went away (dropped or stalled): its grace runs from here. */
  awaySinceMs: number;
  queue: InputQueue;
}

interface CheckpointSeat {
  nickname: string;
  playerId: string;
  profileId: string | null;
  tokenHash: string;
}

/** A room as another node resumes it (GameRoom.checkpoint()); JSON-safe and small. */
export interface RoomCheckpoint {
  /** 2: the recording's log may be left out (kept apart, in segments) and `logEnd` says where it ends. */
  v: 2;
  code: string;
  id: string;
  kind: RoomKind;
  match: MatchState | null;
  resumeTicks: number;
  rematch: [boolean, boolean];
  seats: [CheckpointSeat | null, CheckpointSeat | null];
  computer: { seat: Seat; level: ComputerLevel } | null;
  /** The match's replay so far, so a resumed match still records (and replays) whole. */
  recording: {
    id: string;
    seed: number;
    /**
     * The log so far; null when left out (`checkpoint({ log: false })`: a cluster node saves it in
     * segments beside the checkpoint) or when it could not be rebuilt. A room resumed with a null
     * log plays its match on without recording it.
     */
    log: InputLog | null;
    /** Where the log ends (InputRecorder.position): a log rebuilt from segments must end exactly here. */
    logEnd: number;
    startedAgoMs: number;
    forfeit: Forfeit | null;
  } | null;
  ageMs: number;
  finishedAgoMs: number | null;
}

/** How far a saved log goes: the match it belongs to and the recorder's mark at its end. */
export interface LogCursor {
  recordingId: string;
  mark: LogMark;
}

/** What to save of the match's log after a cursor (GameRoom.logSince). */
export interface LogUpdate {
  /** True when the segment is the whole log: a new match, or no cursor. Whatever was saved goes. */
  reset: boolean;
  segment: LogSegment;
  /** The cursor once this segment is saved. */
  cursor: LogCursor;
}

export type JoinOutcome =
  | { ok: true; role: Role; token: string | null; replacedMemberId: string | null }
  | { ok: false; error: ErrorCode };

const SEAT_ROLES: readonly ['left', 'right'] = ['left', 'right'];

/** Seat tokens are compared (and checkpointed) as hashes: 144 random bits need no slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
const SEATS = [0, 1] as const;
const isServePhase = (p: RoomPhase) => p === 'countdown' || p === 'playing';
/** The seat's player is not playing: dropped, or connected but silent. */
const isAway = (s: SeatState | null): s is SeatState => s !== null && (s.memberId === null || s.stalled);
/** A seat kept for a player who is not connected (dropped, or paired from another node). */
const isHeldForAbsent = (s: SeatState | null): boolean => s !== null && s.memberId === null;

/**
 * One match: two seats, any number of spectators, and the phase machine
 * waiting → countdown ⇄ playing (⇄ paused) → finished. It owns no timer: the process-wide
 * Scheduler calls tick(), and every deadline is a timestamp compared on a tick.
 *
 * The phase has one writer, transition(): every change of the facts it follows from (seats, the
 * match, the resume countdown) ends with settle(), which derives the phase and transitions to it.
 */
export class GameRoom implements Tickable {
  readonly code: string;
  readonly id: string;
  readonly kind: RoomKind;
  readonly createdAtMs: number;
  private readonly seats: [SeatState | null, SeatState | null] = [null, null];
  private readonly members = new Map<string, Role>();
  private match: MatchState | null = null;
  private currentPhase: RoomPhase = 'waiting';
  private resumeTicks = 0;
  private finishedAtMs = 0;
  private lastTickMs: number;
  private tickCount = 0;
  private readonly ticksPerSnapshot: number;
  private readonly snapshotOffset: number;
  private closed = false;
  private readonly pendingWelcome = new Set<string>();
  private rematchWanted: [boolean, boolean] = [false, false];
  /** Total points seen at the last tick: a change updates the lobby listing. */
  private lastPoints = 0;
  /** The object every broadcast snapshot is written into (the transport reads it at once). */
  private readonly wireSnapshot: Snapshot = emptySnapshot();
  /** The intents of the tick being stepped, reused: no array per room per tick. */
  private readonly stepInputs: [Intent, Intent] = [0, 0];
  /** Members that are not people (the computer player): they never keep a room alive. */
  private readonly bots = new Set<string>();
  /** The computer player's seat and level (practice rooms), so a restored room gets it back. */
  private computer: { seat: Seat; level: ComputerLevel } | null = null;
  /** Things stepped at the start of this room's tick (its computer player), released with the room. */
  private readonly companions: Tickable[] = [];
  /** The match in play, recorded for its replay; null between matches. */
  private recording: Recording | null = null;

  constructor(
    private readonly opts: GameRoomOptions,
    from?: RoomCheckpoint,
  ) {
    this.code = opts.code;
    this.id = opts.id;
    this.kind = opts.kind;
    this.createdAtMs = opts.clock.now() - (from?.ageMs ?? 0);
    this.lastTickMs = this.createdAtMs;
    this.ticksPerSnapshot = Math.max(1, Math.round(opts.rules.tickHz / opts.snapshotHz));
    // Spread rooms over the snapshot interval so their broadcasts do not all land on one tick.
    this.snapshotOffset = opts.newSeed() % this.ticksPerSnapshot;
    if (from) this.resume(from);
  }

  /**
   * Takes over a checkpointed room: every seat is away (nobody is connected here yet) and its grace
   * starts now; players take their seats back with their tokens and the match resumes after the
   * usual countdown. The computer player, if any, is reattached by the RoomManager.
   */
  private resume(from: RoomCheckpoint): void {
    const now = this.opts.clock.now();
    // The room steps its match in place: it must own it, not share the checkpoint's.
    this.match = from.match && structuredClone(from.match);
    this.resumeTicks = from.resumeTicks;
    this.rematchWanted = [from.rematch[0], from.rematch[1]];
    this.computer = from.computer;
    const rec = from.recording;
    // A log that could not be rebuilt (RoomOwnership.route) leaves the match unrecorded: it plays on
    // to its end, but is neither recorded nor rated (no replay is better than a wrong one).
    this.recording =
      rec && rec.log
        ? {
            id: rec.id,
            seed: rec.seed,
            recorder: InputRecorder.resume(rec.log),
            startedAtMs: now - rec.startedAgoMs,
            forfeit: rec.forfeit,
          }
        : null;
    for (const i of SEATS) {
      const c = from.seats[i];
      this.seats[i] = c && {
        nickname: c.nickname,
        playerId: c.playerId,
        profileId: c.profileId,
        tokenHash: c.tokenHash,
        memberId: null,
        heardAtMs: now,
        stalled: false,
        awaySinceMs: now,
        queue: new InputQueue(),
      };
    }
    this.lastPoints = this.match ? this.match.scores[0] + this.match.scores[1] : 0;
    this.currentPhase = this.derivePhase();
    if (this.currentPhase === 'finished') this.finishedAtMs = now - (from.finishedAgoMs ?? 0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get phase(): RoomPhase {
    return this.currentPhase;
  }

  get spectatorCount(): number {
    let n = 0;
    for (const role of this.members.values()) if (role === 'spectator') n += 1;
    return n;
  }

  /** Seated people with a live connection (computer players excluded). */
  get connectedPlayers(): number {
    return this.seats.filter((s) => s !== null && s.memberId !== null && !this.bots.has(s.memberId)).length;
  }

  memberIds(): string[] {
    return [...this.members.keys()];
  }

  roleOf(memberId: string): Role | undefined {
    return this.members.get(memberId);
  }

  /** Seats a player (or reclaims a held seat with its token); everyone else becomes a spectator. */
  join(memberId: string, opts: JoinOptions): JoinOutcome {
    if (this.closed) return { ok: false, error: ErrorCode.ROOM_NOT_FOUND };
    if (this.members.has(memberId)) return { ok: false, error: ErrorCode.ALREADY_IN_ROOM };
    const now = this.opts.clock.now();
    let replacedMemberId: string | null = null;
    const { token } = opts;
    const presented = token === undefined ? null : hashToken(token);
    let seat = presented === null ? -1 : this.seats.findIndex((s) => s !== null && s.tokenHash === presented);
    let issued: string | null = token ?? null;
    if (seat >= 0) {
      const held = this.seats[seat] as SeatState;
      // The same player in a new tab or after a reload: the newest connection wins the seat.
      if (held.memberId !== null) {
        replacedMemberId = held.memberId;
        this.members.delete(held.memberId);
        this.pendingWelcome.delete(held.memberId);
      }
      held.memberId = memberId;
      held.queue = new InputQueue();
      // A seat held for a player paired on another node learns its profile when they take it.
      if (opts.profileId && opts.profileId === held.playerId) held.profileId = opts.profileId;
      this.markPresent(held, now);
    } else if (opts.wantsSeat !== false && !this.match && (seat = this.seats.indexOf(null)) >= 0) {
      issued = this.opts.newToken();
      this.seats[seat] = {
        nickname: opts.nickname,
        playerId: opts.playerId ?? memberId,
        tokenHash: hashToken(issued),
        profileId: opts.profileId ?? null,
        memberId,
        heardAtMs: now,
        stalled: false,
        awaySinceMs: 0,
        queue: new InputQueue(),
      };
    }
    const role: Role = seat >= 0 ? (SEAT_ROLES[seat] as Role) : 'spectator';
    this.members.set(memberId, role);
    if (!this.match && this.seats.every((s) => s?.memberId)) {
      this.startMatch(now);
    }
    // The joiner's full snapshot goes out on the next tick, after the gateway has acknowledged the join.
    this.pendingWelcome.add(memberId);
    this.rosterChanged(now);
    return {
      ok: true,
      role,
      token: seat >= 0 ? issued : null,
      replacedMemberId,
    };
  }

  /**
   * Holds a free seat for a player who is not connected here yet (quick match paired them from
   * another node): they take it with the token, as after a drop, within the reconnect grace.
   */
  hold(opts: { nickname: string; playerId: string; profileId?: string | null }): {
    role: Role;
    token: string;
  } {
    const seat = this.seats.indexOf(null);
    if (this.closed || this.match || seat < 0) throw new Error('no free seat to hold');
    const now = this.opts.clock.now();
    const token = this.opts.newToken();
    this.seats[seat] = {
      nickname: opts.nickname,
      playerId: opts.playerId,
      tokenHash: hashToken(token),
      profileId: opts.profileId ?? null,
      memberId: null,
      heardAtMs: now,
      stalled: false,
      awaySinceMs: now,
      queue: new InputQueue(),
    };
    this.rosterChanged(now);
    return { role: SEAT_ROLES[seat] as Role, token };
  }

  /**
   * Seats a computer player: same seat rules and input path as a person. It is stepped at the start
   * of each of this room's ticks, so its input for a tick is queued before the tick consumes it.
   */
  joinBot(
    memberId: string,
    nickname: string,
    player: Tickable & { readonly level?: ComputerLevel },
  ): JoinOutcome {
    this.bots.add(memberId);
    this.companions.push(player);
    const outcome = this.join(memberId, { nickname });
    if (outcome.ok && outcome.role !== 'spectator' && player.level) {
      this.computer = { seat: outcome.role === 'left' ? 0 : 1, level: player.level };
    }
    return outcome;
  }

  /** A restored room's computer player takes its seat back (see RoomManager.restore). */
  reattachBot(memberId: string, player: Tickable): void {
    const c = this.computer;
    const seat = c ? this.seats[c.seat] : null;
    if (!c || !seat) throw new Error('this room had no computer player');
    this.bots.add(memberId);
    this.companions.push(player);
    seat.memberId = memberId;
    this.members.set(memberId, SEAT_ROLES[c.seat] as Role);
    this.markPresent(seat, this.opts.clock.now());
    this.rosterChanged(this.opts.clock.now());
  }

  /** The computer player's seat and level, for a restore. */
  get computerSeat(): { seat: Seat; level: ComputerLevel } | null {
    return this.computer;
  }

  /**
   * What another node needs to resume this room: the match with its RNG, the resume countdown,
   * rematch wishes, and the seats with their nicknames and token hashes (never the tokens). Times
   * are ages: each node's monotonic clock has its own origin. `log: false` leaves the recording's
   * log out (a copy of it grows all match long): the caller saves it with logSince().
   */
  checkpoint(opts: { log?: boolean } = {}): RoomCheckpoint {
    const now = this.opts.clock.now();
    const seat = (s: SeatState | null): CheckpointSeat | null =>
      s
        ? { nickname: s.nickname, playerId: s.playerId, profileId: s.profileId, tokenHash: s.tokenHash }
        : null;
    const rec = this.recording;
    return {
      v: 2,
      code: this.code,
      id: this.id,
      kind: this.kind,
      // A copy: the room goes on stepping its own in place.
      match: this.match && structuredClone(this.match),
      resumeTicks: this.resumeTicks,
      rematch: [this.rematchWanted[0], this.rematchWanted[1]],
      seats: [seat(this.seats[0]), seat(this.seats[1])],
      computer: this.computer,
      recording: rec && {
        id: rec.id,
        seed: rec.seed,
        log: opts.log === false ? null : rec.recorder.log(),
        logEnd: rec.recorder.position,
        startedAgoMs: now - rec.startedAtMs,
        forfeit: rec.forfeit,
      },
      ageMs: now - this.createdAtMs,
      finishedAgoMs: this.currentPhase === 'finished' ? now - this.finishedAtMs : null,
    };
  }

  /**
   * The match's log after `cursor` (the whole log when the cursor is null or from another match),
   * with the cursor at its end; null between matches. Costs what was recorded since the cursor.
   */
  logSince(cursor: LogCursor | null): LogUpdate | null {
    const rec = this.recording;
    if (!rec) return null;
    const reset = cursor === null || cursor.recordingId !== rec.id;
    return {
      reset,
      segment: rec.recorder.since(reset ? START_MARK : cursor.mark),
      cursor: { recordingId: rec.id, mark: rec.recorder.mark() },
    };
  }

  /** True while this player holds a seat in a match that is not over. */
  hasLiveSeat(playerId: string): boolean {
    return this.phase !== 'finished' && this.seats.some((s) => s !== null && s.playerId === playerId);
  }

  /** A player asks for a rematch; the new match starts when both have asked. */
  rematch(memberId: string): ErrorCode | null {
    const role = this.members.get(memberId);
    if (role === undefined) return ErrorCode.NOT_IN_ROOM;
    if (role === 'spectator') return ErrorCode.NOT_A_PLAYER;
    if (this.phase !== 'finished') return ErrorCode.NOT_FINISHED;
    const seat = role === 'left' ? 0 : 1;
    const other = this.seats[seat === 0 ? 1 : 0];
    if (!other || other.memberId === null) return ErrorCode.OPPONENT_LEFT;
    this.rematchWanted[seat] = true;
    const now = this.opts.clock.now();
    if (this.rematchWanted[0] && this.rematchWanted[1]) {
      this.rematchWanted = [false, false];
      this.startMatch(now);
    }
    this.rosterChanged(now);
    return null;
  }

  /** A member left or dropped. A player's seat is held for the grace period; the match pauses. */
  leave(memberId: string): void {
    const role = this.members.get(memberId);
    if (role === undefined) return;
    this.members.delete(memberId);
    this.pendingWelcome.delete(memberId);
    const now = this.opts.clock.now();
    if (role !== 'spectator') {
      const seat = this.seats[role === 'left' ? 0 : 1] as SeatState;
      if (seat.memberId === memberId) {
        // A stalled player's grace already runs from the stall.
        if (!seat.stalled) seat.awaySinceMs = now;
        seat.memberId = null;
        seat.stalled = false;
      }
    }
    this.rosterChanged(now);
  }

  /** Queues a player's intents; spectators and strangers get an error code. */
  input(memberId: string, seq: number, intent: Intent, ticks: number): ErrorCode | null {
    const role = this.members.get(memberId);
    if (role === undefined) return ErrorCode.NOT_IN_ROOM;
    if (role === 'spectator') return ErrorCode.NOT_A_PLAYER;
    const seat = this.seats[role === 'left' ? 0 : 1] as SeatState;
    this.hear(seat);
    seat.queue.push(seq, intent, ticks);
    return null;
  }

  /** A new match (the first, or a rematch): both players count as heard from now. */
  private startMatch(now: number): void {
    const seed = this.opts.newSeed();
    this.match = createMatch(seed, this.opts.rules);
    this.recording = {
      id: (this.opts.newMatchId ?? newMatchId)(),
      seed,
      recorder: new InputRecorder(),
      startedAtMs: now,
      forfeit: null,
    };
    this.resumeTicks = 0;
    for (const s of this.seats) {
      if (!s) continue;
      s.heardAtMs = now;
      s.stalled = false;
      if (s.memberId !== null) s.awaySinceMs = 0;
    }
  }

  /** Any other message from a member: a seated player's link is alive. */
  heard(memberId: string): void {
    const role = this.members.get(memberId);
    if (role === 'left' || role === 'right') this.hear(this.seats[role === 'left' ? 0 : 1] as SeatState);
  }

  /** One step of the room, in stages; the Scheduler calls it at each tick's scheduled time. */
  tick(scheduledMs: number): void {
    if (this.closed) return;
    this.lastTickMs = scheduledMs;
    this.tickCount += 1;
    for (const companion of this.companions) companion.tick(scheduledMs);
    this.detectStalls(scheduledMs);
    this.expireSeats(scheduledMs);
    if (this.closed) return;
    this.advanceMatch();
    this.settle(scheduledMs);
    this.noteScore();
    if (this.closeIfDone(scheduledMs)) return;
    this.sendWelcomes();
    if (this.tickCount % this.ticksPerSnapshot === this.snapshotOffset) {
      this.opts.transport.broadcastSnapshot(this.fillSnapshot(this.wireSnapshot));
    }
  }

  /** The phase the facts call for: the match's own, unless a seat is away or a resume counts down. */
  private derivePhase(): RoomPhase {
    const m = this.match;
    if (!m) return 'waiting';
    if (m.phase === 'finished') return 'finished';
    if (this.seats.some(isAway)) return 'paused';
    if (this.resumeTicks > 0) return 'countdown';
    return m.phase;
  }

  /** Moves to the derived phase when it differs; returns whether it did. */
  private settle(now: number): boolean {
    const next = this.derivePhase();
    if (next === this.currentPhase) return false;
    this.transition(next, now);
    return true;
  }

  /**
   * The only writer of the phase. Every phase change is announced: the serve countdown ⇄ playing
   * flips (two per point) only to the lobby listing, since every snapshot carries the phase; the
   * others to every member as `room:state` too.
   */
  private transition(to: RoomPhase, now: number): void {
    const from = this.currentPhase;
    this.currentPhase = to;
    if (to === 'finished') this.finishedAtMs = now;
    if (isServePhase(from) && isServePhase(to)) this.opts.onChange?.(this);
    else this.publishState();
  }

  /** Seats, members or rematch wishes changed: settle the phase, and tell everyone in any case. */
  private rosterChanged(now: number): void {
    if (!this.settle(now)) this.publishState();
  }

  /** Runs for every input: the last tick's time is precise enough against stallMs, and costs nothing. */
  private hear(seat: SeatState): void {
    const now = this.lastTickMs;
    seat.heardAtMs = now;
    if (!seat.stalled) return;
    seat.stalled = false;
    this.markPresent(seat, now);
    this.rosterChanged(now);
  }

  /** A seat's player is back: when nobody is away any more, a live match resumes with a countdown. */
  private markPresent(seat: SeatState, now: number): void {
    seat.heardAtMs = now;
    seat.stalled = false;
    seat.awaySinceMs = 0;
    if (this.match && this.match.phase !== 'finished' && !this.seats.some(isAway)) {
      this.resumeTicks = countdownTicks(this.opts.rules);
    }
  }

  /** A connected player silent for stallMs in a match that is on is treated as away. */
  private detectStalls(now: number): void {
    if (!this.match || this.match.phase === 'finished') return;
    for (const seat of this.seats) {
      if (!seat || seat.memberId === null || seat.stalled || this.bots.has(seat.memberId)) continue;
      if (now - seat.heardAtMs < this.opts.stallMs) continue;
      seat.stalled = true;
      seat.awaySinceMs = now;
      this.rosterChanged(now);
    }
  }

  /** An away seat whose grace ran out: its player forfeits a match, or frees the seat before one. */
  private expireSeats(now: number): void {
    for (const i of SEATS) {
      const seat = this.seats[i];
      if (!isAway(seat) || now - seat.awaySinceMs < this.opts.reconnectGraceMs) continue;
      if (this.match && this.match.phase !== 'finished') {
        // The absent player forfeits; the score stays as it was.
        if (this.recording) this.recording.forfeit = { seat: i, atStep: this.recording.recorder.steps };
        this.match = { ...this.match, phase: 'finished', winner: i === 0 ? 1 : 0, countdownTicks: 0 };
        this.settle(now);
        this.endMatch(now);
      } else if (!this.match && seat.memberId === null) {
        this.seats[i] = null;
        this.rosterChanged(now);
      }
    }
  }

  private advanceMatch(): void {
    const q0 = this.seats[0]?.queue;
    const q1 = this.seats[1]?.queue;
    const phase = this.currentPhase;
    if (this.match && q0 && q1 && (phase === 'countdown' || phase === 'playing')) {
      if (this.resumeTicks > 0) {
        this.resumeTicks -= 1;
        q0.drain();
        q1.drain();
        this.recording?.recorder.idle();
      } else {
        const inputs = this.stepInputs;
        inputs[0] = q0.next();
        inputs[1] = q1.next();
        this.recording?.recorder.record(inputs[0], inputs[1]);
        // In place: nothing keeps an earlier state of a live match (checkpoints copy it).
        stepInPlace(this.match, inputs, this.opts.rules);
        if (this.match.phase === 'finished') this.endMatch(this.lastTickMs);
      }
    } else {
      // A live match that does not step (a seat is away) still has this tick in its replay.
      if (phase === 'paused') this.recording?.recorder.idle();
      q0?.drain();
      q1?.drain();
    }
  }

  /** Hands the finished match to onMatchEnd (which records it without blocking this tick). */
  private endMatch(now: number): void {
    const rec = this.recording;
    const m = this.match;
    this.recording = null;
    if (!rec || !m || m.winner === null) return;
    const seat = (s: SeatState | null) => ({ profileId: s?.profileId ?? null, nickname: s?.nickname ?? '' });
    this.opts.onMatchEnd?.(this, {
      matchId: rec.id,
      kind: this.kind,
      players: [seat(this.seats[0]), seat(this.seats[1])],
      scores: [m.scores[0], m.scores[1]],
      winner: m.winner,
      forfeit: rec.forfeit,
      seed: rec.seed,
      rules: this.opts.rules,
      log: rec.recorder.log(),
      durationMs: Math.max(0, Math.round(now - rec.startedAtMs)),
    });
  }

  /** Scores only ever grow within a match and start at 0:0 in a new one: their sum tells a change. */
  private noteScore(): void {
    const points = this.match ? this.match.scores[0] + this.match.scores[1] : 0;
    if (points === this.lastPoints) return;
    this.lastPoints = points;
    this.opts.onChange?.(this);
  }

  private sendWelcomes(): void {
    if (this.pendingWelcome.size === 0) return;
    const full = encodeSnapshot(this.snapshot());
    for (const id of this.pendingWelcome) this.opts.transport.sendSnapshot(id, full);
    this.pendingWelcome.clear();
  }

  private closeIfDone(now: number): boolean {
    const phase = this.currentPhase;
    const seatHeld = phase !== 'finished' && this.seats.some(isHeldForAbsent);
    // Runs every tick: count people without walking the members (only practice rooms have a bot).
    let people = this.members.size;
    if (this.bots.size > 0) for (const id of this.bots) if (this.members.has(id)) people -= 1;
    if (people === 0 && !seatHeld) return this.close('empty');
    if (phase === 'waiting' && now - this.createdAtMs >= this.opts.joinDeadlineMs) {
      return this.close('nobody joined in time');
    }
    if (phase === 'finished' && now - this.finishedAtMs >= this.opts.finishedTtlMs) {
      return this.close('finished');
    }
    return false;
  }

  /** Closes the room for good; the owner removes it from the scheduler and directory. */
  close(reason: string): true {
    if (this.closed) return true;
    this.closed = true;
    this.pendingWelcome.clear();
    this.companions.length = 0;
    this.opts.onClose(this, reason);
    return true;
  }

  /** The room as its members see it now (a new object). */
  snapshot(): Snapshot {
    return this.fillSnapshot(emptySnapshot());
  }

  /** Writes the room's snapshot into `out` without allocating (the broadcast reuses one object). */
  private fillSnapshot(out: Snapshot): Snapshot {
    const m = this.match;
    const phase = this.currentPhase;
    const tickHz = this.opts.rules.tickHz;
    let timerTenths = 0;
    if (phase === 'countdown') {
      timerTenths = ((this.resumeTicks || m?.countdownTicks || 0) * 10) / tickHz;
    } else if (phase === 'paused') {
      let awaySince = Infinity;
      for (const s of this.seats) if (isAway(s)) awaySince = Math.min(awaySince, s.awaySinceMs);
      const left = this.opts.reconnectGraceMs - (this.lastTickMs - awaySince);
      timerTenths = Math.max(0, Math.ceil(left / 100));
    }
    const mid = FIELD_HEIGHT_PX / 2;
    out.serverTimeMs = this.lastTickMs;
    out.phase = phase;
    out.ball.x = m ? m.ball.x : FIELD_WIDTH_PX / 2;
    out.ball.y = m ? m.ball.y : mid;
    out.paddles[0] = m ? m.paddles[0] : mid;
    out.paddles[1] = m ? m.paddles[1] : mid;
    out.scores[0] = m ? m.scores[0] : 0;
    out.scores[1] = m ? m.scores[1] : 0;
    out.acks[0] = this.seats[0]?.queue.ack ?? 0;
    out.acks[1] = this.seats[1]?.queue.ack ?? 0;
    out.timerTenths = timerTenths;
    return out;
  }

  info(): RoomInfo {
    const player = (s: SeatState | null): PlayerInfo | null =>
      s ? { nickname: s.nickname, connected: !isAway(s) } : null;
    const winner = this.match?.winner;
    return {
      id: this.id,
      kind: this.kind,
      phase: this.currentPhase,
      players: [player(this.seats[0]), player(this.seats[1])],
      spectators: this.spectatorCount,
      winner: winner === null || winner === undefined ? null : SEAT_ROLES[winner],
      rematch: [this.rematchWanted[0], this.rematchWanted[1]],
    };
  }

  /** The room as the lobby lists it: nicknames and score, never the code or tokens. */
  listing(): RoomListing {
    const m = this.match;
    return {
      id: this.id,
      phase: this.currentPhase,
      players: [this.seats[0]?.nickname ?? null, this.seats[1]?.nickname ?? null],
      scores: m ? [m.scores[0], m.scores[1]] : [0, 0],
      spectators: this.spectatorCount,
      joinable: this.kind === 'public' && !this.match && this.seats.some((s) => s === null),
      node: this.opts.nodeId,
    };
  }

  private publishState(): void {
    this.opts.transport.broadcastState(this.info());
    this.opts.onChange?.(this);
  }
}
