import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * The schema, as Kysely migrations run by Kysely's Migrator on start (store-worker.ts). Migrations
 * live in code, not in .sql files, so the compiled server carries them (tsc copies no .sql files
 * to dist/). Each one runs in a transaction: PostgreSQL and PGlite both have transactional DDL.
 * Never edit a released migration; add a new one.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema type
type AnyDb = Kysely<any>;

async function run(db: AnyDb, statements: readonly string[]): Promise<void> {
  // One statement per query: PGlite's extended protocol runs a single statement at a time.
  for (const statement of statements) await sql.raw(statement).execute(db);
}

const initial: Migration = {
  async up(db) {
    await run(db, [
      `create table profiles (
        id text primary key,
        secret_hash text not null,
        nickname text not null,
        rating double precision not null,
        rd double precision not null,
        volatility double precision not null,
        matches integer not null default 0,
        wins integer not null default 0,
        created_at timestamptz not null default now(),
        last_played_at timestamptz
      )`,
      // The leaderboard and a player's rank: rated players by rating, ties by id.
      `create index profiles_leaderboard on profiles (rating desc, id) where matches > 0`,
      `create table nickname_history (
        id bigint generated always as identity primary key,
        profile_id text not null references profiles (id) on delete cascade,
        nickname text not null,
        set_at timestamptz not null default now()
      )`,
      `create index nickname_history_profile on nickname_history (profile_id, id desc)`,
      `create table matches (
        id text primary key,
        rated boolean not null,
        score_left integer not null,
        score_right integer not null,
        winner smallint not null check (winner in (0, 1)),
        forfeit_seat smallint check (forfeit_seat in (0, 1)),
        started_at timestamptz not null,
        ended_at timestamptz not null,
        recorded_at timestamptz not null default now()
      )`,
      `create table match_players (
        match_id text not null references matches (id) on delete cascade,
        seat smallint not null check (seat in (0, 1)),
        profile_id text references profiles (id) on delete set null,
        nickname text not null,
        rating_before double precision,
        rating_after double precision,
        rd_after double precision,
        ended_at timestamptz not null,
        primary key (match_id, seat)
      )`,
      // A player's history, newest first, paged by (ended_at, match_id).
      `create index match_players_history on match_players (profile_id, ended_at desc, match_id desc)
        where profile_id is not null`,
      `create table replays (
        match_id text primary key references matches (id) on delete cascade,
        seed bigint not null,
        rules jsonb not null,
        log bytea not null,
        forfeit_step integer
      )`,
    ]);
  },
  async down(db) {
    await run(db, [
      'drop table replays',
      'drop table match_players',
      'drop table matches',
      'drop table nickname_history',
      'drop table profiles',
    ]);
  },
};

/** Every migration by name; names sort in the order they apply. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_profiles_matches_replays': initial,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return { ...MIGRATIONS };
  },
};
