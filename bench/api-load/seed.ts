/**
 * Fills a fresh store through its own API (openStore → createProfile, recordMatch), before the
 * server opens the same DATA_DIR: profiles and rated matches between them, so the leaderboard is
 * full and player pages have history to page through.
 */
import { performance } from 'node:perf_hooks';
import { COUNTDOWN_MS, DEFAULT_POINTS_TO_WIN, DEFAULT_TICK_HZ } from '../../shared/constants.ts';
import { encodeInputLog } from '../../shared/replay/log-codec.ts';
import type { InputLog } from '../../shared/replay/input-log.ts';
import { nextRandom } from '../../shared/sim/rng.ts';
import { newMatchId } from '../../server/store/ids.ts';
import { openStore } from '../../server/store/open-store.ts';
import type { Seat } from '../../shared/sim/types.ts';

/** Records in flight at once: the store worker runs them one by one, this only hides the round trips. */
const SEED_CONCURRENCY = 8;
/** A seeded match lasts 1.5-3 minutes of play, as an 11-point match between people does. */
const MIN_MATCH_MS = 90_000;
const MAX_MATCH_MS = 180_000;
/** Seeded matches ended within this many days before now. */
const HISTORY_DAYS = 30;
/** A key is held for 10-40 ticks at a time (about what tests/unit/game-room-replays.test.ts measures). */
const MIN_RUN_TICKS = 10;
const MAX_RUN_TICKS = 40;

export interface Seeded {
  profileIds: string[];
  matches: number;
  seconds: number;
  logBytes: number;
}

/** Seeded PRNG on the simulation's own generator (a bench needs repeatable, not secure). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    const r = nextRandom(s);
    s = r.state;
    return r.value;
  };
}

/**
 * An input log of a realistic size: each seat holds -1, 0 or 1 for a while, one run after another.
 * It is not a real match (the API never reads logs; GET /api/matches/<id> is not benchmarked).
 */
function syntheticLog(steps: number, rand: () => number): InputLog {
  const seat = () => {
    const runs: number[] = [];
    for (let left = steps; left > 0;) {
      const n = Math.min(left, MIN_RUN_TICKS + Math.floor(rand() * (MAX_RUN_TICKS - MIN_RUN_TICKS + 1)));
      runs.push(Math.floor(rand() * 3) - 1, n);
      left -= n;
    }
    return runs;
  };
  return { steps, runs: [seat(), seat()], idle: [] };
}

export async function seedStore(opts: {
  dataDir: string;
  profiles: number;
  matches: number;
  seed: number;
}): Promise<Seeded> {
  const started = performance.now();
  const rand = random(opts.seed);
  const store = await openStore({ dataDir: opts.dataDir, databaseUrl: null });
  try {
    const profileIds: string[] = [];
    for (let i = 0; i < opts.profiles; i += 1) {
      profileIds.push((await store.createProfile(`Seed ${i + 1}`)).profile.id);
    }
    const rules = { tickHz: DEFAULT_TICK_HZ, pointsToWin: DEFAULT_POINTS_TO_WIN, countdownMs: COUNTDOWN_MS };
    const now = Date.now();
    let logBytes = 0;
    let next = 0;
    const one = async () => {
      const a = Math.floor(rand() * profileIds.length);
      const b = (a + 1 + Math.floor(rand() * (profileIds.length - 1))) % profileIds.length;
      const winner: Seat = rand() < 0.5 ? 0 : 1;
      const loser = Math.floor(rand() * DEFAULT_POINTS_TO_WIN);
      const durationMs = MIN_MATCH_MS + Math.floor(rand() * (MAX_MATCH_MS - MIN_MATCH_MS));
      const endedAtMs = now - Math.floor(rand() * HISTORY_DAYS * 86_400_000);
      const log = encodeInputLog(syntheticLog(Math.round((durationMs * DEFAULT_TICK_HZ) / 1000), rand));
      logBytes += log.length;
      await store.recordMatch({
        id: newMatchId(),
        rated: true,
        players: [
          { profileId: profileIds[a] as string, nickname: `Seed ${a + 1}` },
          { profileId: profileIds[b] as string, nickname: `Seed ${b + 1}` },
        ],
        scores: winner === 0 ? [DEFAULT_POINTS_TO_WIN, loser] : [loser, DEFAULT_POINTS_TO_WIN],
        winner,
        forfeit: null,
        startedAtMs: endedAtMs - durationMs,
        endedAtMs,
        seed: Math.floor(rand() * 0x100000000),
        rules,
        log,
      });
    };
    const worker = async () => {
      while (next < opts.matches) {
        next += 1;
        await one();
      }
    };
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
    return {
      profileIds,
      matches: opts.matches,
      seconds: (performance.now() - started) / 1000,
      logBytes,
    };
  } finally {
    await store.close();
  }
}
