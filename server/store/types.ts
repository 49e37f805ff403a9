import type { Forfeit } from '../../shared/replay/input-log.ts';
import type { Rules, Seat } from '../../shared/sim/types.ts';

/** Where the store keeps its data: PGlite files under `dataDir`, or a PostgreSQL server. */
export interface StoreOptions {
  /** PGlite data folder, created on first start. Ignored when `databaseUrl` is set. */
  dataDir: string;
  /** postgres://… : use this PostgreSQL server instead of PGlite. */
  databaseUrl?: string | null;
}

/** A player as everyone may see them: never the secret. */
export interface Profile {
  id: string;
  nickname: string;
  rating: number;
  rd: number;
  volatility: number;
  /** Rated matches played, and won. */
  matches: number;
  wins: number;
  createdAtMs: number;
}

/** A new guest profile and the secret its browser must keep (shown once, stored only as a hash). */
export interface NewProfile {
  profile: Profile;
  secret: string;
}

export type ClaimResult =
  { ok: true; created: boolean; profile: Profile } | { ok: false; reason: 'bad-secret' | 'malformed' };

export interface SeatRecord {
  /** null for a computer player or anyone without a profile. */
  profileId: string | null;
  nickname: string;
}

/** Everything known about a finished match, as GameRoom hands it over. */
export interface MatchRecord {
  /** Unique per match (not per room: a rematch is a new match). Recording is idempotent by it. */
  id: string;
  /** Quick matches between two distinct profiles are rated; practice and private ones are not. */
  rated: boolean;
  players: [SeatRecord, SeatRecord];
  scores: [number, number];
  winner: Seat;
  /** Set when the match ended by a forfeit (the forfeiting seat and the steps played). */
  forfeit: Forfeit | null;
  startedAtMs: number;
  endedAtMs: number;
  seed: number;
  rules: Rules;
  /** encodeInputLog(recorder.log()) */
  log: Uint8Array;
}

export interface RatingChange {
  before: number;
  after: number;
  /** after - before, what the player is shown (e.g. +12). */
  delta: number;
  rd: number;
}

export interface RecordedMatch {
  matchId: string;
  /** True when this match id was already recorded: nothing changed, the first answer is returned. */
  duplicate: boolean;
  /** Per seat; null for an unrated match or a seat without a profile. */
  ratings: [RatingChange | null, RatingChange | null];
}

export interface RankedPlayer {
  rank: number;
  id: string;
  nickname: string;
  rating: number;
  rd: number;
  matches: number;
  wins: number;
}

export interface Leaderboard {
  players: RankedPlayer[];
  /** The caller's own row when they have played a rated match. */
  me: RankedPlayer | null;
}

export interface HistoryEntry {
  matchId: string;
  opponent: { id: string | null; nickname: string };
  /** [this player's points, the opponent's] */
  score: [number, number];
  won: boolean;
  rated: boolean;
  forfeit: boolean;
  /** null for unrated matches. */
  ratingDelta: number | null;
  endedAtMs: number;
  durationMs: number;
}

export interface PlayerPage {
  profile: Profile;
  history: HistoryEntry[];
  /** Pass as `before` for the next (older) page; null when there is none. */
  nextCursor: string | null;
}

/** A match as the store gives it back: the record, with each seat's rating change. */
export interface StoredMatch extends Omit<MatchRecord, 'players'> {
  players: [StoredSeat, StoredSeat];
}

export interface StoredSeat {
  id: string | null;
  nickname: string;
  ratingBefore: number | null;
  ratingAfter: number | null;
}

/** The store as the rest of the server uses it. Every method runs off the main thread. */
export interface Store {
  /** A new guest profile with a server-made id and secret. */
  createProfile(nickname: string): Promise<NewProfile>;
  /**
   * First use of (id, secret) creates the profile (the browser's existing playerId becomes its
   * profile id); later uses must present the same secret. A changed nickname is recorded.
   */
  claimProfile(id: string, secret: string, nickname: string): Promise<ClaimResult>;
  /** The profile if the secret is right, else null. */
  verifyProfile(id: string, secret: string): Promise<Profile | null>;
  getProfile(id: string): Promise<Profile | null>;
  /** Changes the nickname, keeping the old one in the history; null for an unknown id. */
  renameProfile(id: string, nickname: string): Promise<Profile | null>;
  /** Past nicknames, newest first. */
  nicknameHistory(id: string, limit?: number): Promise<{ nickname: string; sinceMs: number }[]>;
  /** Records a finished match, its replay and (if rated) both rating updates in one transaction. */
  recordMatch(match: MatchRecord): Promise<RecordedMatch>;
  leaderboard(limit: number, callerId?: string | null): Promise<Leaderboard>;
  /** A profile and a page of its history, newest first; null for an unknown id. */
  playerPage(id: string, page?: { before?: string | null; limit?: number }): Promise<PlayerPage | null>;
  getMatch(id: string): Promise<StoredMatch | null>;
  /** Called after every match this process records (e.g. to drop cached pages). */
  onMatchRecorded(listener: (match: RecordedMatch) => void): () => void;
  close(): Promise<void>;
}
