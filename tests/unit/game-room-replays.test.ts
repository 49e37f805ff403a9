// The real GameRoom plays 200 matches from a seeded script: intents sent in batches as a browser
// does, stalls (a player goes silent past stallMs and comes back), drops and reconnections with the
// seat token, forfeits (silent or gone past the grace) and rematches. Each match's record, encoded
// and decoded as the store keeps it, replays with the shared simulation to the room's exact final
// state. The same matches, and a few at production rules, give what a replay costs per minute of
// play (the figures in docs/PERFORMANCE.md).
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/config.ts';
import type { GameRoom, MatchEnd } from '../../server/rooms/game-room.ts';
import {
  COUNTDOWN_MS,
  DEFAULT_POINTS_TO_WIN,
  DEFAULT_TICK_HZ,
  MAX_INPUT_TICKS_PER_MESSAGE,
} from '../../shared/constants.ts';
import type { RoomPhase } from '../../shared/protocol/messages.ts';
import { decodeInputLog, encodeInputLog } from '../../shared/replay/log-codec.ts';
import { replay } from '../../shared/replay/replay.ts';
import type { Intent, MatchState, Rules, Seat } from '../../shared/sim/types.ts';
import { makeRandom, randomInt } from './support/prng.ts';
import { RoomHarness, TEST_RULES } from './support/room-harness.ts';
import { stateBits } from './support/sim.ts';

const MATCHES = 200;
/** Short deadlines keep 200 matches fast: 10 ticks of silence stall, 30 ticks away forfeit. */
const STALL_MS = 200;
const GRACE_MS = 600;
/** Per live player per tick: the chance to fall silent, and to drop. */
const SILENCE_CHANCE = 1 / 1200;
const DROP_CHANCE = 1 / 1500;
/** After a match: the chance both ask for a rematch; a forfeited player's chance to come back for it. */
const REMATCH_CHANCE = 0.6;
const RETURN_AFTER_FORFEIT_CHANCE = 0.5;
/** No match of these rules lasts this long: a script that stops playing fails instead of hanging. */
const MAX_TICKS_PER_MATCH = 100_000;
/** Replay bytes per minute of play the figures must stay under (also in tests/unit/replay.test.ts). */
const BUDGET_BYTES_PER_MINUTE = 2048;

/** What the room had when a match ended, next to the record it handed over. */
interface Ended {
  end: MatchEnd;
  /** The room's own MatchState at the end (from its checkpoint), compared bit for bit. */
  final: MatchState;
  snapshotScores: [number, number];
  rules: Rules;
}

/** How a scripted player picks the intent of its next message. */
type Aim = (room: GameRoom, seat: Seat) => Intent;

/** Follows the ball with a random dead band: changes intent often, as a twitchy player does. */
function chaser(rand: () => number): Aim {
  return (room, seat) => {
    const s = room.snapshot();
    const gap = s.ball.y - (s.paddles[seat] as number);
    const deadband = 4 + rand() * 30;
    return gap > deadband ? 1 : gap < -deadband ? -1 : 0;
  };
}

/** Holds a random intent for a random number of messages. */
function holder(rand: () => number): Aim {
  let held: Intent = 0;
  let left = 0;
  return () => {
    if (left <= 0) {
      held = (randomInt(rand, 0, 2) - 1) as Intent;
      left = randomInt(rand, 1, 25);
    }
    left -= 1;
    return held;
  };
}

/**
 * Someone at a keyboard: every reaction time (150-300 ms) they look at the ball and hold the key
 * towards it, or let go when the paddle is close enough; in between the key stays as it was.
 */
function keyboardPlayer(rand: () => number, tickHz: number): { aim: Aim; ticksPerMessage: number } {
  const ticksPerMessage = Math.round(tickHz / 20);
  let held: Intent = 0;
  let nextLookTicks = 0;
  return {
    ticksPerMessage,
    aim: (room, seat) => {
      nextLookTicks -= ticksPerMessage;
      if (nextLookTicks > 0) return held;
      nextLookTicks = Math.round((randomInt(rand, 150, 300) * tickHz) / 1000);
      const s = room.snapshot();
      const gap = s.ball.y - (s.paddles[seat] as number);
      held = gap > 20 ? 1 : gap < -20 ? -1 : 0;
      return held;
    },
  };
}

/** One seat's player as the room sees it: messages, silences, drops, and returns with the token. */
class ScriptedPlayer {
  memberId: string;
  token: string | undefined;
  seq = 0;
  /** live: sends every ticksPerMessage ticks; silent: connected, sends nothing; gone: left the room. */
  state: 'live' | 'silent' | 'gone' = 'live';
  /** Ticks left of the current silence or absence. */
  awayTicks = 0;
  /** Ticks since the last message (a frozen tab's first message covers them, up to the maximum). */
  unsent = 0;
  private connections = 1;

  constructor(
    readonly name: string,
    readonly seat: Seat,
    readonly aim: Aim,
    readonly ticksPerMessage: number,
  ) {
    this.memberId = `${name}-1`;
  }

  /** Joins, or takes the seat back with its token; checks the room gave the same seat. */
  enter(room: GameRoom): void {
    const outcome = room.join(this.memberId, { nickname: this.name, playerId: this.name, token: this.token });
    if (!outcome.ok || outcome.role !== (this.seat === 0 ? 'left' : 'right')) {
      throw new Error(`${this.memberId} did not get seat ${this.seat}: ${JSON.stringify(outcome)}`);
    }
    this.token = outcome.token ?? undefined;
    this.state = 'live';
    this.unsent = 0;
  }

  leave(room: GameRoom): void {
    room.leave(this.memberId);
    this.state = 'gone';
    this.connections += 1;
    this.memberId = `${this.name}-${this.connections}`;
  }

  /** One tick of a live player: a message every ticksPerMessage ticks, covering the ticks since the last. */
  send(room: GameRoom): void {
    this.unsent += 1;
    if (this.unsent < this.ticksPerMessage) return;
    this.seq += this.unsent;
    const ticks = Math.min(this.unsent, MAX_INPUT_TICKS_PER_MESSAGE);
    const error = room.input(this.memberId, this.seq, this.aim(room, this.seat), ticks);
    if (error !== null) throw new Error(`${this.memberId} input refused: ${error}`);
    this.unsent = 0;
  }
}

interface Tally {
  /** Matches that ended on a forfeit, by how the forfeiting player was away. */
  forfeitsSilent: number;
  forfeitsGone: number;
  /** Pauses the room entered with every player still connected (a stall), and that later resumed. */
  stallPauses: number;
  stallsResumed: number;
  /** Seats taken back with the token during a live match, and after a forfeit (for a rematch). */
  reconnections: number;
  returnsAfterForfeit: number;
  rematches: number;
  /** Silences that stayed under stallMs (no pause) and the frozen-tab catch-up messages they caused. */
  shortSilences: number;
  rooms: number;
}

/**
 * Plays rooms until `matches` matches have ended, each room one match and its rematches. Players'
 * events are drawn per tick from `rand`; the room is ticked as the Scheduler would, on the harness's
 * ManualClock.
 */
function playRooms(matches: number, seed: number): { ended: Ended[]; tally: Tally } {
  const rand = makeRandom(seed);
  const ended: Ended[] = [];
  const tally: Tally = {
    forfeitsSilent: 0,
    forfeitsGone: 0,
    stallPauses: 0,
    stallsResumed: 0,
    reconnections: 0,
    returnsAfterForfeit: 0,
    rematches: 0,
    shortSilences: 0,
    rooms: 0,
  };
  const stallTicks = STALL_MS / (1000 / TEST_RULES.tickHz);
  const graceTicks = GRACE_MS / (1000 / TEST_RULES.tickHz);
  let matchIds = 0;
  while (ended.length < matches) {
    tally.rooms += 1;
    const h = new RoomHarness({
      kind: 'public',
      rules: TEST_RULES,
      stallMs: STALL_MS,
      reconnectGraceMs: GRACE_MS,
      newSeed: () => (rand() * 0x100000000) >>> 0,
      newMatchId: () => `match-${String((matchIds += 1)).padStart(4, '0')}`,
      onMatchEnd: (room, end) => {
        const final = room.checkpoint().match;
        if (!final) throw new Error('a match ended without a match state');
        const scores = room.snapshot().scores;
        ended.push({
          end,
          final: structuredClone(final),
          snapshotScores: [scores[0], scores[1]],
          rules: TEST_RULES,
        });
      },
    });
    const room = h.room;
    const style = (): Aim =>
      rand() < 0.5
        ? chaser(makeRandom(randomInt(rand, 1, 1e9)))
        : holder(makeRandom(randomInt(rand, 1, 1e9)));
    const players = [
      new ScriptedPlayer(`p${tally.rooms}a`, 0, style(), randomInt(rand, 1, 3)),
      new ScriptedPlayer(`p${tally.rooms}b`, 1, style(), randomInt(rand, 1, 3)),
    ] as const;
    for (const p of players) p.enter(room);

    for (;;) {
      const before = ended.length;
      let phase: RoomPhase = room.phase;
      let stalled = false;
      for (let t = 0; ended.length === before; t += 1) {
        if (t > MAX_TICKS_PER_MATCH) throw new Error(`match ${ended.length + 1} never ended`);
        for (const p of players) {
          if (p.state === 'gone') {
            p.awayTicks -= 1;
            if (p.awayTicks <= 0) {
              p.enter(room);
              tally.reconnections += 1;
            }
          } else if (p.state === 'silent') {
            p.awayTicks -= 1;
            p.unsent += 1;
            if (p.awayTicks <= 0) p.state = 'live';
          } else {
            const r = rand();
            if (r < SILENCE_CHANCE) {
              p.state = 'silent';
              const kind = rand();
              // Under stallMs (no pause), a stall that comes back within the grace, or one that forfeits.
              p.awayTicks =
                kind < 0.35
                  ? randomInt(rand, 2, stallTicks - 3)
                  : kind < 0.8
                    ? randomInt(rand, stallTicks + 2, stallTicks + graceTicks - 3)
                    : stallTicks + graceTicks + 5;
              if (kind < 0.35) tally.shortSilences += 1;
            } else if (r < SILENCE_CHANCE + DROP_CHANCE) {
              p.leave(room);
              p.awayTicks = rand() < 0.7 ? randomInt(rand, 1, graceTicks - 3) : graceTicks + 5;
            } else {
              p.send(room);
            }
          }
        }
        h.clock.advance(h.periodMs);
        room.tick(h.clock.now());
        const now = room.phase;
        if (now === 'paused' && phase !== 'paused') {
          stalled = players.every((p) => p.state !== 'gone');
          if (stalled) tally.stallPauses += 1;
        } else if (phase === 'paused' && (now === 'countdown' || now === 'playing') && stalled) {
          tally.stallsResumed += 1;
        }
        phase = now;
      }
      const last = ended[ended.length - 1] as Ended;
      const forfeit = last.end.forfeit;
      if (forfeit) {
        const p = players[forfeit.seat];
        if (p.state === 'gone') tally.forfeitsGone += 1;
        else tally.forfeitsSilent += 1;
      }
      if (ended.length >= matches || room.isClosed) break;
      // Between matches: silent players speak again; someone who left may come back with the token.
      for (const p of players) {
        if (p.state === 'silent') p.state = 'live';
        if (p.state === 'gone') {
          if (rand() >= RETURN_AFTER_FORFEIT_CHANCE) continue;
          p.enter(room);
          tally.returnsAfterForfeit += 1;
        }
      }
      if (players.some((p) => p.state === 'gone') || rand() >= REMATCH_CHANCE) break;
      for (const p of players) expect(room.rematch(p.memberId)).toBeNull();
      tally.rematches += 1;
    }
    room.close('script done');
  }
  return { ended, tally };
}

/** The record as the store keeps it (encoded), decoded again and replayed. */
function replayRecorded({ end }: Ended): { state: MatchState; bytes: number } {
  const bytes = encodeInputLog(end.log);
  const log = decodeInputLog(bytes);
  expect(log).toEqual(end.log);
  return { state: replay(end.seed, end.rules, log, end.forfeit), bytes: bytes.length };
}

/** Bytes of encoded log per minute of match time (the room's clock, pauses included). */
function bytesPerMinute(ended: readonly Ended[]): { perMinute: number; bytes: number; minutes: number } {
  let bytes = 0;
  let ms = 0;
  for (const e of ended) {
    bytes += encodeInputLog(e.end.log).length;
    ms += e.end.durationMs;
  }
  const minutes = ms / 60_000;
  return { perMinute: bytes / minutes, bytes, minutes };
}

describe('GameRoom replays', () => {
  it('200 matches with stalls, reconnections, forfeits and rematches each replay to the room’s final state', ({
    annotate,
  }) => {
    const { ended, tally } = playRooms(MATCHES, 20_260_512);
    expect(ended).toHaveLength(MATCHES);
    expect(new Set(ended.map((e) => e.end.matchId)).size).toBe(MATCHES);

    const mismatches: string[] = [];
    for (const e of ended) {
      const { state } = replayRecorded(e);
      const { end, final } = e;
      const same =
        stateBits(state) === stateBits(final) &&
        state.scores[0] === end.scores[0] &&
        state.scores[1] === end.scores[1] &&
        end.scores[0] === e.snapshotScores[0] &&
        end.scores[1] === e.snapshotScores[1] &&
        state.winner === end.winner &&
        state.phase === 'finished';
      if (!same) {
        mismatches.push(
          `${end.matchId}: replay ${state.scores.join(':')} (${state.phase}, winner ${state.winner}), ` +
            `room ${end.scores.join(':')} (winner ${end.winner}, forfeit ${JSON.stringify(end.forfeit)})`,
        );
      }
    }
    expect(mismatches).toEqual([]);

    // The script must exercise what the test claims: enough of every kind of event.
    const forfeits = ended.filter((e) => e.end.forfeit !== null).length;
    const withIdle = ended.filter((e) => e.end.log.idle.length > 0).length;
    expect(forfeits).toBe(tally.forfeitsGone + tally.forfeitsSilent);
    expect(tally.forfeitsSilent).toBeGreaterThanOrEqual(5);
    expect(tally.forfeitsGone).toBeGreaterThanOrEqual(5);
    expect(forfeits).toBeLessThan(MATCHES / 2);
    expect(tally.stallPauses).toBeGreaterThanOrEqual(20);
    expect(tally.stallsResumed).toBeGreaterThanOrEqual(10);
    expect(tally.reconnections).toBeGreaterThanOrEqual(20);
    expect(tally.returnsAfterForfeit).toBeGreaterThanOrEqual(2);
    expect(tally.rematches).toBeGreaterThanOrEqual(30);
    expect(tally.shortSilences).toBeGreaterThanOrEqual(10);
    expect(withIdle).toBeGreaterThanOrEqual(40);

    const size = bytesPerMinute(ended);
    expect(size.perMinute).toBeLessThan(BUDGET_BYTES_PER_MINUTE);
    annotate(
      `${MATCHES} matches in ${tally.rooms} rooms (${forfeits} forfeits, ${tally.stallPauses} stalls, ` +
        `${tally.reconnections} reconnections, ${tally.rematches} rematches): ` +
        `${size.bytes} B of log over ${size.minutes.toFixed(1)} min = ${size.perMinute.toFixed(0)} B/min`,
    );
  });

  it('a replay of realistic play at production rules costs well under 2 KB per minute', ({ annotate }) => {
    const rules: Rules = {
      tickHz: DEFAULT_TICK_HZ,
      pointsToWin: DEFAULT_POINTS_TO_WIN,
      countdownMs: COUNTDOWN_MS,
    };
    const rand = makeRandom(77);
    const ended: Ended[] = [];
    for (let m = 0; m < 3; m += 1) {
      const h = new RoomHarness({
        kind: 'public',
        rules,
        stallMs: DEFAULT_CONFIG.stallMs,
        reconnectGraceMs: DEFAULT_CONFIG.reconnectGraceMs,
        newSeed: () => (rand() * 0x100000000) >>> 0,
        newMatchId: () => `real-${m}`,
        onMatchEnd: (room, end) => {
          const final = room.checkpoint().match;
          if (!final) throw new Error('a match ended without a match state');
          const scores = room.snapshot().scores;
          ended.push({ end, final: structuredClone(final), snapshotScores: [scores[0], scores[1]], rules });
        },
      });
      const players = ([0, 1] as const).map((seat) => {
        const k = keyboardPlayer(makeRandom(1_000 + m * 2 + seat), rules.tickHz);
        return new ScriptedPlayer(`k${m}${seat}`, seat, k.aim, k.ticksPerMessage);
      });
      for (const p of players) p.enter(h.room);
      for (let t = 0; ended.length === m; t += 1) {
        if (t > MAX_TICKS_PER_MATCH) throw new Error('a realistic match never ended');
        for (const p of players) p.send(h.room);
        h.clock.advance(h.periodMs);
        h.room.tick(h.clock.now());
      }
    }
    for (const e of ended) {
      expect(e.end.forfeit).toBeNull();
      expect(Math.max(...e.end.scores)).toBe(rules.pointsToWin);
      expect(stateBits(replayRecorded(e).state)).toBe(stateBits(e.final));
    }
    const size = bytesPerMinute(ended);
    expect(size.perMinute).toBeLessThan(BUDGET_BYTES_PER_MINUTE);
    annotate(
      `3 matches to ${rules.pointsToWin} at ${rules.tickHz} Hz, keys held 150-300 ms between looks: ` +
        `${size.bytes} B of log over ${size.minutes.toFixed(1)} min = ${size.perMinute.toFixed(0)} B/min`,
    );
  });
});
