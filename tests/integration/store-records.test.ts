import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMatchId, newProfileId } from '../../server/store/ids.ts';
import { openStore } from '../../server/store/open-store.ts';
import { newSecret } from '../../server/store/secret.ts';
import type { RecordedMatch, Store } from '../../server/store/types.ts';
import { decodeInputLog } from '../../shared/replay/log-codec.ts';
import { makeRandom, randomInt } from '../unit/support/prng.ts';
import { BACKENDS, makeStoreTarget, matchRecord, sampleLog, type StoreTarget } from '../support/store.ts';

describe.each(BACKENDS)('store on %s', (backend) => {
  let target: StoreTarget;
  let store: Store;

  beforeAll(async () => {
    target = await makeStoreTarget(backend);
    store = await openStore(target.options);
  });
  afterAll(async () => {
    await store?.close();
    await target?.cleanup();
  });

  it('creates guest profiles whose secret only it can verify, and never returns the secret', async () => {
    const { profile, secret } = await store.createProfile('  Ada  ');
    expect(profile).toMatchObject({ nickname: 'Ada', rating: 1500, rd: 350, matches: 0, wins: 0 });
    expect(JSON.stringify(profile)).not.toContain(secret);
    expect(await store.verifyProfile(profile.id, secret)).toEqual(profile);
    expect(await store.verifyProfile(profile.id, newSecret())).toBeNull();
    expect(await store.verifyProfile('no such id!', secret)).toBeNull();
    expect(await store.getProfile(newProfileId())).toBeNull();
    expect(await store.getProfile('../../etc')).toBeNull();
  });

  it('claims a browser id on first use, then demands the same secret, keeping nickname changes', async () => {
    const id = newProfileId();
    const secret = newSecret();
    const first = await store.claimProfile(id, secret, 'Grace');
    expect(first).toMatchObject({ ok: true, created: true, profile: { id, nickname: 'Grace' } });
    expect(await store.claimProfile(id, newSecret(), 'Mallory')).toEqual({ ok: false, reason: 'bad-secret' });
    expect(await store.claimProfile(id, 'short', 'Mallory')).toEqual({ ok: false, reason: 'malformed' });
    const again = await store.claimProfile(id, secret, 'Grace H');
    expect(again).toMatchObject({ ok: true, created: false, profile: { nickname: 'Grace H' } });
    await store.renameProfile(id, 'Admiral');
    await store.renameProfile(id, 'Admiral');
    const names = (await store.nicknameHistory(id)).map((n) => n.nickname);
    expect(names).toEqual(['Admiral', 'Grace H', 'Grace']);
    expect(await store.renameProfile(newProfileId(), 'Nobody')).toBeNull();
  });

  it('records a rated match once: ratings move in opposite directions, a retry changes nothing', async () => {
    const a = (await store.createProfile('A')).profile;
    const b = (await store.createProfile('B')).profile;
    const seen: RecordedMatch[] = [];
    const unsubscribe = store.onMatchRecorded((m) => seen.push(m));
    const match = matchRecord(a.id, b.id, { scores: [11, 9] });
    const first = await store.recordMatch(match);
    const retry = await store.recordMatch(match);
    unsubscribe();
    expect(first.duplicate).toBe(false);
    expect(retry).toEqual({ ...first, duplicate: true });
    expect(seen).toHaveLength(2);
    const [left, right] = first.ratings;
    expect(left?.delta).toBeGreaterThan(0);
    expect(right?.delta).toBeLessThan(0);
    expect(await store.getProfile(a.id)).toMatchObject({ matches: 1, wins: 1, rating: left?.after });
    expect(await store.getProfile(b.id)).toMatchObject({ matches: 1, wins: 0, rating: right?.after });

    const stored = await store.getMatch(match.id);
    expect(stored).toMatchObject({
      id: match.id,
      rated: true,
      scores: [11, 9],
      winner: 0,
      forfeit: null,
      seed: match.seed,
      rules: match.rules,
      startedAtMs: match.startedAtMs,
      endedAtMs: match.endedAtMs,
      players: [
        { id: a.id, nickname: 'Lefty', ratingBefore: 1500, ratingAfter: left?.after },
        { id: b.id, nickname: 'Righty', ratingBefore: 1500, ratingAfter: right?.after },
      ],
    });
    expect(decodeInputLog(stored?.log ?? new Uint8Array())).toEqual(decodeInputLog(match.log));
    expect(await store.getMatch(newMatchId())).toBeNull();
    expect(await store.getMatch('bad id')).toBeNull();
  });

  it('keeps unrated matches and computer opponents out of the ratings, and counts a forfeit as a loss', async () => {
    const a = (await store.createProfile('Practice')).profile;
    const b = (await store.createProfile('Friend')).profile;
    const at = (minute: number) => Date.UTC(2026, 0, 2, 0, minute);
    const practice = await store.recordMatch(matchRecord(a.id, null, { rated: true, endedAtMs: at(1) }));
    const privateMatch = await store.recordMatch(matchRecord(a.id, b.id, { rated: false, endedAtMs: at(2) }));
    expect(practice.ratings).toEqual([null, null]);
    expect(privateMatch.ratings).toEqual([null, null]);
    expect(await store.getProfile(a.id)).toMatchObject({ rating: 1500, matches: 0 });

    const forfeit = matchRecord(a.id, b.id, {
      scores: [7, 2],
      winner: 1,
      forfeit: { seat: 0, atStep: 120 },
      endedAtMs: at(3),
    });
    const recorded = await store.recordMatch(forfeit);
    expect(recorded.ratings[0]?.delta).toBeLessThan(0);
    expect(recorded.ratings[1]?.delta).toBeGreaterThan(0);
    expect((await store.getMatch(forfeit.id))?.forfeit).toEqual({ seat: 0, atStep: 120 });
    const page = await store.playerPage(a.id);
    expect(page?.history.map((h) => [h.rated, h.won, h.forfeit])).toEqual([
      [true, false, true],
      [false, true, false],
      [false, true, false],
    ]);
  });

  it('rejects a malformed match record without storing any of it', async () => {
    const a = (await store.createProfile('X')).profile;
    const bad = matchRecord(a.id, null, { scores: [-1, 3] });
    await expect(store.recordMatch(bad)).rejects.toThrow();
    expect(await store.getMatch(bad.id)).toBeNull();
  });

  it('pages a player history newest first with a stable cursor', async () => {
    const me = (await store.createProfile('Pager')).profile;
    const foe = (await store.createProfile('Foe')).profile;
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const m = matchRecord(me.id, foe.id, {
        endedAtMs: Date.UTC(2026, 1, 1) + i * 60_000,
        winner: i % 2 === 0 ? 0 : 1,
        scores: i % 2 === 0 ? [11, i] : [i, 11],
      });
      ids.push(m.id);
      await store.recordMatch(m);
    }
    const seen: string[] = [];
    let before: string | null = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await store.playerPage(me.id, { before, limit: 3 });
      expect(page).not.toBeNull();
      seen.push(...(page?.history.map((h) => h.matchId) ?? []));
      before = page?.nextCursor ?? null;
      if (!before) break;
    }
    expect(seen).toEqual([...ids].reverse());
    const newest = (await store.playerPage(me.id, { limit: 1 }))?.history[0];
    expect(newest).toMatchObject({
      matchId: ids[6],
      opponent: { id: foe.id, nickname: 'Righty' },
      score: [11, 6],
      won: true,
      durationMs: 90_000,
    });
    expect(await store.playerPage(newProfileId())).toBeNull();
    await expect(store.playerPage(me.id, { before: 'garbage' })).rejects.toThrow(/cursor/);
  });

  it("ranks the leaderboard by rating and finds the caller's rank outside the top", async () => {
    const board = await store.leaderboard(100);
    expect(board.players.length).toBeGreaterThan(3);
    const ratings = board.players.map((p) => p.rating);
    expect(ratings).toEqual([...ratings].sort((x, y) => y - x));
    expect(board.players.map((p) => p.rank)).toEqual(board.players.map((_, i) => i + 1));
    expect(board.players.every((p) => p.matches > 0)).toBe(true);
    const last = board.players[board.players.length - 1];
    const top1 = await store.leaderboard(1, last?.id);
    expect(top1.players).toHaveLength(1);
    expect(top1.me).toEqual(last);
    const newcomer = (await store.createProfile('New')).profile;
    expect((await store.leaderboard(10, newcomer.id)).me).toBeNull();
  });

  it('1,000 concurrent match-end writes with retries record every match exactly once', async () => {
    const rand = makeRandom(backend === 'pglite' ? 11 : 12);
    const players = await Promise.all(Array.from({ length: 24 }, (_, i) => store.createProfile(`P${i}`)));
    const ids = players.map((p) => p.profile.id);
    const matches = Array.from({ length: 1000 }, (_, i) => {
      const l = randomInt(rand, 0, ids.length - 1);
      const r = (l + randomInt(rand, 1, ids.length - 1)) % ids.length;
      return matchRecord(ids[l] as string, ids[r] as string, {
        winner: rand() < 0.5 ? 0 : 1,
        endedAtMs: Date.UTC(2026, 2, 1) + i * 1000,
        log: sampleLog(randomInt(rand, 1, 400)),
      });
    });
    // Each match end is sent 1 to 3 times at once, as a room would retry after a lost answer.
    const sends = matches.flatMap((m) => Array.from({ length: randomInt(rand, 1, 3) }, () => m));
    for (let i = sends.length - 1; i > 0; i -= 1) {
      const j = randomInt(rand, 0, i);
      [sends[i], sends[j]] = [sends[j] as (typeof sends)[number], sends[i] as (typeof sends)[number]];
    }
    const results = await Promise.all(sends.map((m) => store.recordMatch(m)));
    const firsts = new Map<string, number>();
    for (const r of results) if (!r.duplicate) firsts.set(r.matchId, (firsts.get(r.matchId) ?? 0) + 1);
    expect(firsts.size).toBe(1000);
    expect([...firsts.values()].every((n) => n === 1)).toBe(true);
    // Every answer for one match is the same answer.
    const byMatch = new Map<string, string>();
    for (const r of results) {
      const key = JSON.stringify(r.ratings);
      expect(byMatch.get(r.matchId) ?? key).toBe(key);
      byMatch.set(r.matchId, key);
    }
    const profiles = await Promise.all(ids.map((id) => store.getProfile(id)));
    const played = new Map<string, number>();
    const won = new Map<string, number>();
    for (const m of matches) {
      for (const seat of [0, 1] as const) {
        const id = m.players[seat].profileId as string;
        played.set(id, (played.get(id) ?? 0) + 1);
        if (m.winner === seat) won.set(id, (won.get(id) ?? 0) + 1);
      }
    }
    for (const p of profiles) {
      expect(p?.matches).toBe(played.get(p?.id ?? '') ?? 0);
      expect(p?.wins).toBe(won.get(p?.id ?? '') ?? 0);
    }
    // Each profile's history has each of its matches once, and its rating is the last match's.
    const first = profiles[0];
    let count = 0;
    let before: string | null = null;
    let newestAfter: number | null = null;
    do {
      const page = await store.playerPage(first?.id ?? '', { before, limit: 100 });
      count += page?.history.length ?? 0;
      newestAfter ??= page?.history[0]?.ratingDelta ?? null;
      before = page?.nextCursor ?? null;
    } while (before);
    expect(count).toBe(first?.matches);
    expect(newestAfter).not.toBeNull();
  });
});
