import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playerRoutes, PAGE_CACHE_TTL_MS } from '../../server/http/player-routes.ts';
import { newMatchId, newProfileId } from '../../server/store/ids.ts';
import { openStore } from '../../server/store/open-store.ts';
import type { NewProfile, Store } from '../../server/store/types.ts';
import { base64urlToBytes } from '../../shared/replay/base64url.ts';
import { InputRecorder } from '../../shared/replay/input-log.ts';
import { decodeInputLog, encodeInputLog } from '../../shared/replay/log-codec.ts';
import { replay } from '../../shared/replay/replay.ts';
import { createMatch, step } from '../../shared/sim/step.ts';
import type { Intent } from '../../shared/sim/types.ts';
import { BACKENDS, makeStoreTarget, matchRecord, type StoreTarget } from '../support/store.ts';
import { rulesAt, sloppyPlayer } from '../unit/support/sim.ts';

describe.each(BACKENDS)('player HTTP routes on %s', (backend) => {
  let target: StoreTarget;
  let store: Store;
  let http: FastifyInstance;
  let clockMs = 1_000_000;
  let ann: NewProfile;
  let bob: NewProfile;

  beforeAll(async () => {
    target = await makeStoreTarget(backend);
    store = await openStore(target.options);
    http = Fastify();
    await http.register(playerRoutes, { store, now: () => clockMs });
    await http.ready();
    ann = await store.createProfile('Ann');
    bob = await store.createProfile('Bob');
  });
  afterAll(async () => {
    await http?.close();
    await store?.close();
    await target?.cleanup();
  });

  const get = (url: string) => http.inject({ method: 'GET', url });

  it('serves a recorded match as a replay that reproduces its final score', async () => {
    const rules = rulesAt(60, 3);
    const drive = sloppyPlayer(31);
    const recorder = new InputRecorder();
    let state = createMatch(777, rules);
    while (state.phase !== 'finished') {
      const inputs: [Intent, Intent] = [drive(state, 0), drive(state, 1)];
      recorder.record(inputs[0], inputs[1]);
      state = step(state, inputs, rules);
    }
    const record = matchRecord(ann.profile.id, bob.profile.id, {
      seed: 777,
      rules,
      scores: [state.scores[0], state.scores[1]],
      winner: state.winner ?? 0,
      log: encodeInputLog(recorder.log()),
    });
    await store.recordMatch(record);

    const res = await get(`/api/matches/${record.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    const body = res.json();
    expect(body).toMatchObject({
      id: record.id,
      rated: true,
      scores: state.scores,
      winner: state.winner === 0 ? 'left' : 'right',
      forfeit: null,
      seed: 777,
      rules,
      durationMs: 90_000,
      players: [{ id: ann.profile.id }, { id: bob.profile.id }],
    });
    const again = replay(body.seed, body.rules, decodeInputLog(base64urlToBytes(body.log)));
    expect(again.scores).toEqual(state.scores);
    expect(again.winner).toBe(state.winner);
  });

  it('lists the leaderboard with the caller’s rank, and never a secret', async () => {
    const res = await get(`/api/leaderboard?me=${bob.profile.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.headers['cache-control']).toBe(`public, max-age=${PAGE_CACHE_TTL_MS / 1000}`);
    const body = res.json();
    expect(body.players.map((p: { id: string }) => p.id).sort()).toEqual(
      [ann.profile.id, bob.profile.id].sort(),
    );
    expect(Object.keys(body.players[0]).sort()).toEqual([
      'id',
      'matches',
      'nickname',
      'rank',
      'rating',
      'rd',
      'wins',
    ]);
    expect(body.me.id).toBe(bob.profile.id);
    expect(res.body).not.toContain(ann.secret);
    expect((await get('/api/leaderboard')).json().me).toBeNull();
    expect((await get(`/api/leaderboard?me=${newProfileId()}`)).json().me).toBeNull();
    expect((await get('/api/leaderboard?me=%3Cscript%3E')).statusCode).toBe(400);
  });

  it('drops its cache when a match is recorded, and otherwise serves it until the TTL', async () => {
    const before = (await get('/api/leaderboard')).json();
    await store.renameProfile(ann.profile.id, 'Annie');
    // A rename records no match: the cached page is served until it expires.
    const cached = (await get('/api/leaderboard')).json();
    expect(cached).toEqual(before);
    clockMs += PAGE_CACHE_TTL_MS;
    const fresh = (await get('/api/leaderboard')).json();
    expect(fresh.players.map((p: { nickname: string }) => p.nickname)).toContain('Annie');

    const carl = await store.createProfile('Carl');
    await store.recordMatch(
      matchRecord(carl.profile.id, bob.profile.id, { endedAtMs: Date.UTC(2026, 3, 1) }),
    );
    const after = (await get('/api/leaderboard')).json();
    expect(after.players.map((p: { id: string }) => p.id)).toContain(carl.profile.id);
    const page = (await get(`/api/players/${carl.profile.id}`)).json();
    expect(page.matches).toBe(1);
  });

  it('pages a player’s history newest first through nextCursor', async () => {
    const dan = await store.createProfile('Dan');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const m = matchRecord(dan.profile.id, bob.profile.id, {
        endedAtMs: Date.UTC(2026, 4, 1) + i * 60_000,
        winner: i % 2 === 0 ? 0 : 1,
      });
      ids.push(m.id);
      await store.recordMatch(m);
    }
    const first = await get(`/api/players/${dan.profile.id}?limit=2`);
    expect(first.statusCode).toBe(200);
    const p1 = first.json();
    expect(p1).toMatchObject({ id: dan.profile.id, nickname: 'Dan', matches: 5, wins: 3 });
    expect(Object.keys(p1).sort()).toEqual(
      ['history', 'id', 'matches', 'nextCursor', 'nickname', 'rating', 'rd', 'wins'].sort(),
    );
    expect(p1.history[0]).toMatchObject({
      matchId: ids[4],
      opponent: { id: bob.profile.id, nickname: 'Righty' },
      score: [11, 4],
      won: true,
      rated: true,
      endedAt: new Date(Date.UTC(2026, 4, 1) + 4 * 60_000).toISOString(),
      durationMs: 90_000,
    });
    expect(p1.history[0].ratingDelta).toBeGreaterThan(0);
    const seen = p1.history.map((h: { matchId: string }) => h.matchId);
    let cursor = p1.nextCursor;
    while (cursor) {
      const next = (
        await get(`/api/players/${dan.profile.id}?limit=2&before=${encodeURIComponent(cursor)}`)
      ).json();
      seen.push(...next.history.map((h: { matchId: string }) => h.matchId));
      cursor = next.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect(JSON.stringify(p1)).not.toContain(dan.secret);
  });

  it('answers unknown or malformed ids with 404 JSON and bad queries with 400, never 500', async () => {
    const cases: [string, number][] = [
      [`/api/players/${newProfileId()}`, 404],
      ['/api/players/short', 404],
      [`/api/players/${'x'.repeat(65)}`, 404],
      ['/api/players/..%2F..%2Fetc', 404],
      ['/api/players/%27%3B%20drop%20table%20profiles', 404],
      [`/api/matches/${newMatchId()}`, 404],
      ['/api/matches/%00%00%00%00%00%00%00%00', 404],
      ['/api/matches/not a match', 404],
      [`/api/players/${ann.profile.id}?before=nope`, 400],
      [`/api/players/${ann.profile.id}?limit=0`, 400],
      [`/api/players/${ann.profile.id}?limit=abc`, 400],
    ];
    for (const [url, status] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(status);
      expect(res.json(), url).toHaveProperty('error');
    }
  });

  it('answers 503 JSON, not 500, when the store is gone', async () => {
    await store.close();
    const res = await get(`/api/matches/${newMatchId()}`);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'store unavailable' });
  });
});
