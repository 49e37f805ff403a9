import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { bytesToBase64url } from '../../shared/replay/base64url.ts';
import { CURSOR_PATTERN, MATCH_ID_PATTERN, PROFILE_ID_PATTERN } from '../store/ids.ts';
import type { Leaderboard, PlayerPage, Store, StoredMatch } from '../store/types.ts';

/**
 * GET /api/leaderboard, /api/players/:id and /api/matches/:id over the store. Response shapes are
 * zod schemas turned into JSON schema, so fastify serializes with them and nothing else leaks (a
 * profile's secret hash never leaves the store anyway). An unknown or malformed id is a 404 JSON
 * answer; a store failure is a 503, never a 500. Reads are cached in-process for a few seconds and
 * dropped whenever this process records a match (another node's match shows within the TTL).
 */

export const LEADERBOARD_SIZE = 100;
/** How long a cached page may be served; also the browsers' max-age. */
export const PAGE_CACHE_TTL_MS = 5_000;
/** Player pages cached at once; past that the cache starts over (cheap, and bounds memory). */
export const PAGE_CACHE_MAX_ENTRIES = 2_000;
/** A finished match never changes. */
const MATCH_MAX_AGE_S = 86_400;

const rankedPlayer = z.object({
  rank: z.number().int(),
  id: z.string(),
  nickname: z.string(),
  rating: z.number(),
  rd: z.number(),
  matches: z.number().int(),
  wins: z.number().int(),
});
export const leaderboardResponse = z.object({ players: z.array(rankedPlayer), me: rankedPlayer.nullable() });

const historyEntry = z.object({
  matchId: z.string(),
  opponent: z.object({ id: z.string().nullable(), nickname: z.string() }),
  /** [this player's points, the opponent's] */
  score: z.tuple([z.number().int(), z.number().int()]),
  won: z.boolean(),
  rated: z.boolean(),
  forfeit: z.boolean(),
  ratingDelta: z.number().nullable(),
  endedAt: z.string(),
  durationMs: z.number().int(),
});
export const playerResponse = z.object({
  id: z.string(),
  nickname: z.string(),
  rating: z.number(),
  rd: z.number(),
  matches: z.number().int(),
  wins: z.number().int(),
  history: z.array(historyEntry),
  /** `?before=` for the next, older page; null on the last page. */
  nextCursor: z.string().nullable(),
});

const seat = z.object({
  id: z.string().nullable(),
  nickname: z.string(),
  ratingBefore: z.number().nullable(),
  ratingAfter: z.number().nullable(),
});
export const matchResponse = z.object({
  id: z.string(),
  rated: z.boolean(),
  players: z.tuple([seat, seat]),
  scores: z.tuple([z.number().int(), z.number().int()]),
  winner: z.enum(['left', 'right']),
  forfeit: z.object({ seat: z.enum(['left', 'right']), atStep: z.number().int() }).nullable(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number().int(),
  seed: z.number().int(),
  rules: z.object({ tickHz: z.number().int(), pointsToWin: z.number().int(), countdownMs: z.number().int() }),
  /** base64url of encodeInputLog(): decode with base64urlToBytes + decodeInputLog, then replay(). */
  log: z.string(),
});
const errorResponse = z.object({ error: z.string() });

const leaderboardQuery = z.object({ me: z.string().regex(PROFILE_ID_PATTERN).optional() });
const playerQuery = z.object({
  before: z.string().regex(CURSOR_PATTERN).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // draft-7 is what fastify's serializer reads; the $schema key would make it look the draft up.
  const json: Record<string, unknown> = { ...z.toJSONSchema(schema, { target: 'draft-7' }) };
  delete json.$schema;
  return json;
}

type LeaderboardResponse = z.infer<typeof leaderboardResponse>;
type PlayerResponse = z.infer<typeof playerResponse>;
type MatchResponse = z.infer<typeof matchResponse>;

/** A tiny TTL map: entries expire after ttlMs, everything is dropped by clear(). */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}
  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }
  clear(): void {
    this.entries.clear();
  }
}

export interface PlayerRoutesOptions {
  store: Store;
  /** Defaults to PAGE_CACHE_TTL_MS. */
  cacheTtlMs?: number;
  /** Clock for the cache (tests advance it). */
  now?: () => number;
}

const seatName = (s: 0 | 1) => (s === 0 ? 'left' : 'right');
const iso = (ms: number) => new Date(ms).toISOString();

function toPlayerResponse(page: PlayerPage): PlayerResponse {
  const p = page.profile;
  return {
    id: p.id,
    nickname: p.nickname,
    rating: p.rating,
    rd: p.rd,
    matches: p.matches,
    wins: p.wins,
    history: page.history.map((h) => ({
      matchId: h.matchId,
      opponent: h.opponent,
      score: h.score,
      won: h.won,
      rated: h.rated,
      forfeit: h.forfeit,
      ratingDelta: h.ratingDelta,
      endedAt: iso(h.endedAtMs),
      durationMs: h.durationMs,
    })),
    nextCursor: page.nextCursor,
  };
}

function toMatchResponse(m: StoredMatch): MatchResponse {
  return {
    id: m.id,
    rated: m.rated,
    players: m.players,
    scores: m.scores,
    winner: seatName(m.winner),
    forfeit: m.forfeit ? { seat: seatName(m.forfeit.seat), atStep: m.forfeit.atStep } : null,
    startedAt: iso(m.startedAtMs),
    endedAt: iso(m.endedAtMs),
    durationMs: m.endedAtMs - m.startedAtMs,
    seed: m.seed,
    rules: m.rules,
    log: bytesToBase64url(m.log),
  };
}

function notFound(reply: FastifyReply, what: string) {
  return reply
    .code(404)
    .header('cache-control', 'no-store')
    .send({ error: `${what} not found` });
}

function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).header('cache-control', 'no-store').send({ error: message });
}

/** Registers the routes; call as `await http.register(playerRoutes, { store })`. */
export async function playerRoutes(http: FastifyInstance, opts: PlayerRoutesOptions): Promise<void> {
  const { store } = opts;
  const ttl = opts.cacheTtlMs ?? PAGE_CACHE_TTL_MS;
  const now = opts.now ?? Date.now;
  const boards = new TtlCache<Leaderboard>(ttl, 1, now);
  const pages = new TtlCache<PlayerResponse>(ttl, PAGE_CACHE_MAX_ENTRIES, now);
  const publicCache = `public, max-age=${Math.max(1, Math.round(ttl / 1000))}`;
  const unsubscribe = store.onMatchRecorded(() => {
    boards.clear();
    pages.clear();
  });
  http.addHook('onClose', async () => unsubscribe());

  // A broken store is a service problem (503), not a server bug (500).
  http.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.statusCode && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: err.message });
    req.log.error({ err }, 'player routes: store request failed');
    return reply.code(503).header('cache-control', 'no-store').send({ error: 'store unavailable' });
  });

  const errors = {
    400: jsonSchema(errorResponse),
    404: jsonSchema(errorResponse),
    503: jsonSchema(errorResponse),
  };

  http.get(
    '/api/leaderboard',
    { config: { rateLimit: {} }, schema: { response: { 200: jsonSchema(leaderboardResponse), ...errors } } },
    async (req, reply) => {
      const query = leaderboardQuery.safeParse(req.query);
      if (!query.success) return badRequest(reply, 'me must be a profile id');
      let board = boards.get('top');
      if (!board) {
        board = await store.leaderboard(LEADERBOARD_SIZE);
        boards.set('top', board);
      }
      const me = query.data.me;
      let mine = null;
      if (me) {
        mine = board.players.find((p) => p.id === me) ?? (await store.leaderboard(1, me)).me;
      }
      reply.header('cache-control', publicCache);
      return { players: board.players, me: mine } satisfies LeaderboardResponse;
    },
  );

  http.get<{ Params: { id: string } }>(
    '/api/players/:id',
    { config: { rateLimit: {} }, schema: { response: { 200: jsonSchema(playerResponse), ...errors } } },
    async (req, reply) => {
      if (!PROFILE_ID_PATTERN.test(req.params.id)) return notFound(reply, 'player');
      const query = playerQuery.safeParse(req.query);
      if (!query.success) return badRequest(reply, 'before must be a cursor from nextCursor; limit 1 to 100');
      const key = `${req.params.id}|${query.data.before ?? ''}|${query.data.limit ?? ''}`;
      let body = pages.get(key);
      if (!body) {
        const page = await store.playerPage(req.params.id, query.data);
        if (!page) return notFound(reply, 'player');
        body = toPlayerResponse(page);
        pages.set(key, body);
      }
      reply.header('cache-control', publicCache);
      return body;
    },
  );

  http.get<{ Params: { id: string } }>(
    '/api/matches/:id',
    { config: { rateLimit: {} }, schema: { response: { 200: jsonSchema(matchResponse), ...errors } } },
    async (req, reply) => {
      if (!MATCH_ID_PATTERN.test(req.params.id)) return notFound(reply, 'match');
      const match = await store.getMatch(req.params.id);
      if (!match) return notFound(reply, 'match');
      reply.header('cache-control', `public, max-age=${MATCH_MAX_AGE_S}, immutable`);
      return toMatchResponse(match);
    },
  );
}
