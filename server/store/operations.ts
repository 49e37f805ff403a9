import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { NEW_PLAYER_RATING, rateMatch, type Rating } from '../../shared/rating/glicko2.ts';
import { CURSOR_PATTERN, encodeCursor, MATCH_ID_PATTERN, newProfileId, PROFILE_ID_PATTERN } from './ids.ts';
import { hashSecret, newSecret, SECRET_PATTERN, secretMatches } from './secret.ts';
import type {
  ClaimResult,
  HistoryEntry,
  Leaderboard,
  MatchRecord,
  NewProfile,
  PlayerPage,
  Profile,
  RankedPlayer,
  RatingChange,
  RecordedMatch,
  StoredMatch,
} from './types.ts';

/**
 * The store's named operations. They run in the store worker (store-worker.ts) against PGlite or
 * PostgreSQL through one Kysely instance, and are written in plain PostgreSQL, the one dialect
 * both speak. Every value leaving here is plain data (numbers, strings, Uint8Array), so it crosses
 * to the main thread by structured clone. Numeric columns are cast to int/float8 in SQL because pg
 * returns bigint as a string and PGlite as a number.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- all SQL is raw; no schema type is used
export type Db = Kysely<any>;

/** History pages are capped so one request cannot read a whole career. */
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;
const NICKNAME_MAX = 32;

const seatSchema = z.object({
  profileId: z.string().regex(PROFILE_ID_PATTERN).nullable(),
  nickname: z.string().min(1).max(NICKNAME_MAX),
});
const score = z.number().int().min(0).max(999);
export const matchRecordSchema = z.object({
  id: z.string().regex(MATCH_ID_PATTERN),
  rated: z.boolean(),
  players: z.tuple([seatSchema, seatSchema]),
  scores: z.tuple([score, score]),
  winner: z.union([z.literal(0), z.literal(1)]),
  forfeit: z
    .object({ seat: z.union([z.literal(0), z.literal(1)]), atStep: z.number().int().min(0) })
    .nullable(),
  startedAtMs: z.number().int().min(0),
  endedAtMs: z.number().int().min(0),
  seed: z.number().int().min(0).max(0xffffffff),
  rules: z.object({
    tickHz: z.number().int().positive(),
    pointsToWin: z.number().int().positive(),
    countdownMs: z.number().int().min(0),
  }),
  log: z.instanceof(Uint8Array),
});

interface ProfileRow {
  id: string;
  nickname: string;
  rating: number;
  rd: number;
  volatility: number;
  matches: number;
  wins: number;
  created_at: Date;
}

const PROFILE_COLUMNS = sql.raw(
  'id, nickname, rating::float8 as rating, rd::float8 as rd, volatility::float8 as volatility, matches, wins, created_at',
);

function toProfile(row: ProfileRow): Profile {
  return {
    id: row.id,
    nickname: row.nickname,
    rating: row.rating,
    rd: row.rd,
    volatility: row.volatility,
    matches: row.matches,
    wins: row.wins,
    createdAtMs: row.created_at.getTime(),
  };
}

function cleanNickname(nickname: string): string {
  return nickname.trim().slice(0, NICKNAME_MAX) || 'Player';
}

async function selectProfile(db: Db, id: string): Promise<ProfileRow | undefined> {
  const { rows } = await sql<ProfileRow>`select ${PROFILE_COLUMNS} from profiles where id = ${id}`.execute(
    db,
  );
  return rows[0];
}

async function insertProfile(db: Db, id: string, secret: string, nickname: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ id: string }>`
      insert into profiles (id, secret_hash, nickname, rating, rd, volatility)
      values (${id}, ${hashSecret(secret)}, ${nickname}, ${NEW_PLAYER_RATING.rating}, ${NEW_PLAYER_RATING.rd},
              ${NEW_PLAYER_RATING.volatility})
      on conflict (id) do nothing
      returning id`.execute(tx);
    if (rows.length === 0) return false;
    await sql`insert into nickname_history (profile_id, nickname) values (${id}, ${nickname})`.execute(tx);
    return true;
  });
}

async function createProfile(db: Db, nickname: string): Promise<NewProfile> {
  const id = newProfileId();
  const secret = newSecret();
  await insertProfile(db, id, secret, cleanNickname(nickname));
  return { profile: toProfile((await selectProfile(db, id)) as ProfileRow), secret };
}

async function claimProfile(db: Db, id: string, secret: string, nickname: string): Promise<ClaimResult> {
  if (!PROFILE_ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return { ok: false, reason: 'malformed' };
  const created = await insertProfile(db, id, secret, cleanNickname(nickname));
  if (!created) {
    const profile = await verifyProfile(db, id, secret);
    if (!profile) return { ok: false, reason: 'bad-secret' };
    if (profile.nickname !== cleanNickname(nickname)) {
      return { ok: true, created, profile: (await renameProfile(db, id, nickname)) as Profile };
    }
    return { ok: true, created, profile };
  }
  return { ok: true, created, profile: toProfile((await selectProfile(db, id)) as ProfileRow) };
}

async function verifyProfile(db: Db, id: string, secret: string): Promise<Profile | null> {
  if (!PROFILE_ID_PATTERN.test(id)) return null;
  const { rows } = await sql<ProfileRow & { secret_hash: string }>`
    select ${PROFILE_COLUMNS}, secret_hash from profiles where id = ${id}`.execute(db);
  const row = rows[0];
  return row && secretMatches(secret, row.secret_hash) ? toProfile(row) : null;
}

async function getProfile(db: Db, id: string): Promise<Profile | null> {
  if (!PROFILE_ID_PATTERN.test(id)) return null;
  const row = await selectProfile(db, id);
  return row ? toProfile(row) : null;
}

async function renameProfile(db: Db, id: string, nickname: string): Promise<Profile | null> {
  if (!PROFILE_ID_PATTERN.test(id)) return null;
  const name = cleanNickname(nickname);
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<ProfileRow & { old: string }>`
      update profiles p set nickname = ${name}
      from (select id, nickname as old from profiles where id = ${id} for update) o
      where p.id = o.id
      returning p.id, p.nickname, p.rating::float8 as rating, p.rd::float8 as rd,
        p.volatility::float8 as volatility, p.matches, p.wins, p.created_at, o.old`.execute(tx);
    const row = rows[0];
    if (!row) return null;
    if (row.old !== name) {
      await sql`insert into nickname_history (profile_id, nickname) values (${id}, ${name})`.execute(tx);
    }
    return toProfile(row);
  });
}

async function nicknameHistory(
  db: Db,
  id: string,
  limit = 20,
): Promise<{ nickname: string; sinceMs: number }[]> {
  if (!PROFILE_ID_PATTERN.test(id)) return [];
  const { rows } = await sql<{ nickname: string; set_at: Date }>`
    select nickname, set_at from nickname_history where profile_id = ${id}
    order by id desc limit ${Math.min(Math.max(1, limit), MAX_PAGE)}`.execute(db);
  return rows.map((r) => ({ nickname: r.nickname, sinceMs: r.set_at.getTime() }));
}

interface RatingRow extends Rating {
  id: string;
}

/**
 * One transaction: the match row (its id makes a retry a no-op), both seats, the replay and, for a
 * rated match, both profiles' new ratings. Profiles are locked in id order so two matches that
 * share players cannot deadlock. Killed half way, PostgreSQL keeps none of it.
 */
async function recordMatch(db: Db, input: MatchRecord): Promise<RecordedMatch> {
  const match = matchRecordSchema.parse(input);
  const [left, right] = match.players;
  // The same profile on both seats (two tabs) is one player: keep it on the left seat only.
  const ids = [left.profileId, right.profileId === left.profileId ? null : right.profileId];
  return db.transaction().execute(async (tx) => {
    const wanted = ids.filter((x): x is string => x !== null).sort();
    const { rows: found } = await sql<RatingRow>`
      select id, rating::float8 as rating, rd::float8 as rd, volatility::float8 as volatility
      from profiles where id in (${sql.join(wanted.length ? wanted : [''])})
      order by id for update`.execute(tx);
    const byId = new Map(found.map((r) => [r.id, r]));
    const seatIds = ids.map((id) => (id !== null && byId.has(id) ? id : null));
    const rated = match.rated && seatIds[0] !== null && seatIds[1] !== null;

    const endedAt = new Date(match.endedAtMs);
    const { rows: inserted } = await sql<{ id: string }>`
      insert into matches (id, rated, score_left, score_right, winner, forfeit_seat, started_at, ended_at)
      values (${match.id}, ${rated}, ${match.scores[0]}, ${match.scores[1]}, ${match.winner},
              ${match.forfeit?.seat ?? null}, ${new Date(match.startedAtMs)}, ${endedAt})
      on conflict (id) do nothing
      returning id`.execute(tx);
    if (inserted.length === 0) return { ...(await recordedRatings(tx, match.id)), duplicate: true };

    const ratings: [RatingChange | null, RatingChange | null] = [null, null];
    if (rated) {
      const before: [RatingRow, RatingRow] = [
        byId.get(seatIds[0] as string) as RatingRow,
        byId.get(seatIds[1] as string) as RatingRow,
      ];
      const after = rateMatch(before[0], before[1], match.winner);
      for (const seat of [0, 1] as const) {
        const b = before[seat];
        const a = after[seat];
        ratings[seat] = { before: b.rating, after: a.rating, delta: a.rating - b.rating, rd: a.rd };
        await sql`
          update profiles set rating = ${a.rating}, rd = ${a.rd}, volatility = ${a.volatility},
            matches = matches + 1, wins = wins + ${match.winner === seat ? 1 : 0}, last_played_at = ${endedAt}
          where id = ${b.id}`.execute(tx);
      }
    }
    for (const seat of [0, 1] as const) {
      const change = ratings[seat];
      await sql`
        insert into match_players (match_id, seat, profile_id, nickname, rating_before, rating_after, rd_after, ended_at)
        values (${match.id}, ${seat}, ${seatIds[seat] ?? null}, ${cleanNickname(match.players[seat].nickname)},
                ${change?.before ?? null}, ${change?.after ?? null}, ${change?.rd ?? null}, ${endedAt})`.execute(
        tx,
      );
    }
    await sql`
      insert into replays (match_id, seed, rules, log, forfeit_step)
      values (${match.id}, ${match.seed}, cast(${JSON.stringify(match.rules)} as text)::jsonb, ${match.log},
              ${match.forfeit?.atStep ?? null})`.execute(tx);
    return { matchId: match.id, duplicate: false, ratings };
  });
}

async function recordedRatings(db: Db, matchId: string): Promise<Omit<RecordedMatch, 'duplicate'>> {
  const { rows } = await sql<{
    seat: number;
    before: number | null;
    after: number | null;
    rd: number | null;
  }>`
    select seat, rating_before::float8 as before, rating_after::float8 as after, rd_after::float8 as rd
    from match_players where match_id = ${matchId} order by seat`.execute(db);
  const change = (seat: number): RatingChange | null => {
    const r = rows.find((x) => x.seat === seat);
    return r && r.before !== null && r.after !== null && r.rd !== null
      ? { before: r.before, after: r.after, delta: r.after - r.before, rd: r.rd }
      : null;
  };
  return { matchId, ratings: [change(0), change(1)] };
}

type RankedRow = Omit<RankedPlayer, 'rank'>;

async function leaderboard(db: Db, limit: number, callerId?: string | null): Promise<Leaderboard> {
  const n = Math.min(Math.max(1, Math.floor(limit)), MAX_PAGE);
  const { rows } = await sql<RankedRow>`
    select id, nickname, rating::float8 as rating, rd::float8 as rd, matches, wins
    from profiles where matches > 0 order by rating desc, id limit ${n}`.execute(db);
  const players = rows.map((r, i) => ({ rank: i + 1, ...r }));
  let me: RankedPlayer | null = null;
  if (callerId && PROFILE_ID_PATTERN.test(callerId)) {
    me = players.find((p) => p.id === callerId) ?? null;
    if (!me) {
      const { rows: mine } = await sql<RankedRow & { ahead: number }>`
        select m.id, m.nickname, m.rating::float8 as rating, m.rd::float8 as rd, m.matches, m.wins,
          (select count(*)::int from profiles p
           where p.matches > 0 and (p.rating > m.rating or (p.rating = m.rating and p.id < m.id))) as ahead
        from profiles m where m.id = ${callerId} and m.matches > 0`.execute(db);
      const row = mine[0];
      if (row) {
        const { ahead, ...rest } = row;
        me = { rank: ahead + 1, ...rest };
      }
    }
  }
  return { players, me };
}

interface HistoryRow {
  match_id: string;
  seat: number;
  rating_before: number | null;
  rating_after: number | null;
  rated: boolean;
  score_left: number;
  score_right: number;
  winner: number;
  forfeit_seat: number | null;
  started_at: Date;
  ended_at: Date;
  opp_id: string | null;
  opp_nickname: string;
}

async function playerPage(
  db: Db,
  id: string,
  page: { before?: string | null; limit?: number } = {},
): Promise<PlayerPage | null> {
  const profile = await getProfile(db, id);
  if (!profile) return null;
  const limit = Math.min(Math.max(1, Math.floor(page.limit ?? DEFAULT_PAGE)), MAX_PAGE);
  const cursor = page.before ? CURSOR_PATTERN.exec(page.before) : null;
  if (page.before && !cursor) throw new Error('malformed cursor');
  const after = cursor
    ? sql`and (mp.ended_at, mp.match_id) < (${new Date(Number(cursor[1]))}, ${cursor[2] as string})`
    : sql``;
  const { rows } = await sql<HistoryRow>`
    select mp.match_id, mp.seat, mp.rating_before::float8 as rating_before,
      mp.rating_after::float8 as rating_after, m.rated, m.score_left, m.score_right, m.winner,
      m.forfeit_seat, m.started_at, m.ended_at, o.profile_id as opp_id, o.nickname as opp_nickname
    from match_players mp
    join matches m on m.id = mp.match_id
    join match_players o on o.match_id = mp.match_id and o.seat <> mp.seat
    where mp.profile_id = ${id} ${after}
    order by mp.ended_at desc, mp.match_id desc
    limit ${limit + 1}`.execute(db);
  const history: HistoryEntry[] = rows.slice(0, limit).map((r) => {
    const mine = r.seat === 0 ? r.score_left : r.score_right;
    const theirs = r.seat === 0 ? r.score_right : r.score_left;
    return {
      matchId: r.match_id,
      opponent: { id: r.opp_id, nickname: r.opp_nickname },
      score: [mine, theirs],
      won: r.winner === r.seat,
      rated: r.rated,
      forfeit: r.forfeit_seat !== null,
      ratingDelta:
        r.rating_before !== null && r.rating_after !== null ? r.rating_after - r.rating_before : null,
      endedAtMs: r.ended_at.getTime(),
      durationMs: r.ended_at.getTime() - r.started_at.getTime(),
    };
  });
  const last = history[history.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(last.endedAtMs, last.matchId) : null;
  return { profile, history, nextCursor };
}

interface MatchRow {
  id: string;
  rated: boolean;
  score_left: number;
  score_right: number;
  winner: number;
  forfeit_seat: number | null;
  started_at: Date;
  ended_at: Date;
  seed: number;
  rules: StoredMatch['rules'];
  log: Uint8Array;
  forfeit_step: number | null;
}

async function getMatch(db: Db, id: string): Promise<StoredMatch | null> {
  if (!MATCH_ID_PATTERN.test(id)) return null;
  const { rows } = await sql<MatchRow>`
    select m.id, m.rated, m.score_left, m.score_right, m.winner, m.forfeit_seat, m.started_at, m.ended_at,
      r.seed::float8 as seed, r.rules, r.log, r.forfeit_step
    from matches m join replays r on r.match_id = m.id where m.id = ${id}`.execute(db);
  const m = rows[0];
  if (!m) return null;
  const { rows: seats } = await sql<{
    seat: number;
    profile_id: string | null;
    nickname: string;
    rating_before: number | null;
    rating_after: number | null;
  }>`
    select seat, profile_id, nickname, rating_before::float8 as rating_before, rating_after::float8 as rating_after
    from match_players where match_id = ${id} order by seat`.execute(db);
  const seat = (i: number) => {
    const s = seats.find((x) => x.seat === i);
    return {
      id: s?.profile_id ?? null,
      nickname: s?.nickname ?? '',
      ratingBefore: s?.rating_before ?? null,
      ratingAfter: s?.rating_after ?? null,
    };
  };
  const bit = (n: number): 0 | 1 => (n === 0 ? 0 : 1);
  return {
    id: m.id,
    rated: m.rated,
    players: [seat(0), seat(1)],
    scores: [m.score_left, m.score_right],
    winner: bit(m.winner),
    forfeit:
      m.forfeit_seat === null || m.forfeit_step === null
        ? null
        : { seat: bit(m.forfeit_seat), atStep: m.forfeit_step },
    startedAtMs: m.started_at.getTime(),
    endedAtMs: m.ended_at.getTime(),
    seed: m.seed,
    rules: m.rules,
    // pg hands bytea over as a Buffer, PGlite as a Uint8Array: give callers one type.
    log: new Uint8Array(m.log),
  };
}

/** Every operation the worker serves, by name. Each takes the database first. */
export const operations = {
  createProfile,
  claimProfile,
  verifyProfile,
  getProfile,
  renameProfile,
  nicknameHistory,
  recordMatch,
  leaderboard,
  playerPage,
  getMatch,
};

export type Operations = typeof operations;
export type OperationName = keyof Operations;
/** An operation's arguments after the database. */
export type OperationArgs<K extends OperationName> =
  Parameters<Operations[K]> extends [Db, ...infer A] ? A : never;
export type OperationResult<K extends OperationName> = Awaited<ReturnType<Operations[K]>>;
