// The leaderboard, profile and replay pages in a real browser, against the real server whose store
// the test seeds directly (profiles claimed, matches recorded through the Store API).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputRecorder } from '../../shared/replay/input-log.ts';
import { encodeInputLog } from '../../shared/replay/log-codec.ts';
import { createMatch, step } from '../../shared/sim/step.ts';
import type { Intent, MatchState } from '../../shared/sim/types.ts';
import { matchRecord, sampleLog } from '../support/store.ts';
import { rulesAt, sloppyPlayer } from '../unit/support/sim.ts';
import { launchBrowser } from './support/browser.ts';
import { textOf, waitForText, withCanvas } from './support/pages.ts';
import { startServerWithStore, type StoreServer } from './support/store-server.ts';

const ANN = { id: 'ann-profile-0001', secret: 'a'.repeat(43), nickname: 'Ann' };
const BOB = { id: 'bob-profile-0002', secret: 'b'.repeat(43), nickname: '<b>Bob</b>' };
const CAL = { id: 'cal-profile-0003', secret: 'c'.repeat(43), nickname: 'Cal' };
/** Ann's older matches against Cal: more than one page of history (the API's page is 20). */
const OLDER_MATCHES = 21;
const RULES = rulesAt(60, 3);
const DAY_MS = 86_400_000;

let server: StoreServer;
let browser: Browser;
/** The newest match, Ann (left) vs Bob (right), simulated in full so its replay is a real match. */
let played: { id: string; final: MatchState };
/** Ann's older matches' ids, oldest first. */
const older: string[] = [];

beforeAll(async () => {
  server = await startServerWithStore();
  browser = await launchBrowser();
  const { store } = server;
  for (const p of [ANN, BOB, CAL]) {
    const claim = await store.claimProfile(p.id, p.secret, p.nickname);
    expect(claim.ok).toBe(true);
  }
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < OLDER_MATCHES; i += 1) {
    const annWins = i % 3 !== 0;
    const recorded = await store.recordMatch(
      matchRecord(ANN.id, CAL.id, {
        players: [
          { profileId: ANN.id, nickname: ANN.nickname },
          { profileId: CAL.id, nickname: CAL.nickname },
        ],
        scores: annWins ? [3, 1] : [2, 3],
        winner: annWins ? 0 : 1,
        endedAtMs: start + i * DAY_MS,
        log: sampleLog(),
      }),
    );
    older.push(recorded.matchId);
  }
  played = await recordPlayedMatch(start + OLDER_MATCHES * DAY_MS);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Plays a short match with two simulated players, as the server would, and records it. */
async function recordPlayedMatch(endedAtMs: number) {
  const drivers = [sloppyPlayer(5), sloppyPlayer(6)] as const;
  const recorder = new InputRecorder();
  let state = createMatch(97531, RULES);
  while (state.phase !== 'finished') {
    const inputs: [Intent, Intent] = [drivers[0](state, 0), drivers[1](state, 1)];
    recorder.record(inputs[0], inputs[1]);
    state = step(state, inputs, RULES);
  }
  const record = matchRecord(ANN.id, BOB.id, {
    players: [
      { profileId: ANN.id, nickname: ANN.nickname },
      { profileId: BOB.id, nickname: BOB.nickname },
    ],
    seed: 97531,
    rules: RULES,
    scores: [state.scores[0], state.scores[1]],
    winner: state.winner ?? 0,
    startedAtMs: endedAtMs - Math.round((recorder.steps * 1000) / RULES.tickHz),
    endedAtMs,
    log: encodeInputLog(recorder.log()),
  });
  await server.store.recordMatch(record);
  return { id: record.id, final: state };
}

/** A page in a fresh browser profile whose stored player id is `playerId` (if given). */
async function openAs(path: string, playerId?: string): Promise<Page> {
  const context = await browser.newContext();
  if (playerId) {
    await context.addInitScript((id) => localStorage.setItem('pong.playerId', id), playerId);
  }
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(withCanvas(`${server.url}${path}`));
  return page;
}

describe('leaderboard', () => {
  test('lists the rated players by rating with the reader highlighted, and links to profiles', async () => {
    const page = await openAs('/leaderboard', ANN.id);
    const rows = page.getByTestId('leaderboard-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    expect(await page.getByTestId('leaderboard').isVisible()).toBe(true);
    expect(await page.locator('#lobby').isVisible()).toBe(false);

    // Ranked 1, 2, 3 with ratings going down.
    const ratings = (await page.getByTestId('leaderboard-rating').allInnerTexts()).map((t) =>
      Number(t.split(' ')[0]),
    );
    expect(ratings).toEqual([...ratings].sort((a, b) => b - a));
    expect(await page.getByTestId('leaderboard-rank').allInnerTexts()).toEqual(['1', '2', '3']);

    // Ann, who reads it, is highlighted: once, and it is her row.
    const mine = page.locator('[data-testid="leaderboard-row"][aria-current="true"]');
    expect(await mine.count()).toBe(1);
    expect(await mine.getAttribute('data-player-id')).toBe(ANN.id);
    expect(await mine.innerText()).toContain('Ann (you)');
    await waitForText(page, 'leaderboard-status', /^You are #\d\.$/);

    // A nickname is text, never HTML; its link opens the profile and keeps the renderer choice.
    const bob = page.getByTestId('leaderboard-player').filter({ hasText: '<b>Bob</b>' });
    expect(await bob.count()).toBe(1);
    expect(await page.locator('#leaderboard b').count()).toBe(0);
    await bob.click();
    await page.waitForURL(/\/players\/bob-profile-0002\?renderer=canvas$/);
    await waitForText(page, 'profile-name', /^<b>Bob<\/b>$/, 15_000);
  });

  test('a reader without a rank sees the board without a highlight', async () => {
    const page = await openAs('/leaderboard', 'nobody-rated-99');
    await expect.poll(() => page.getByTestId('leaderboard-row').count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator('[aria-current="true"]').count()).toBe(0);
    await waitForText(page, 'leaderboard-status', /quick match/);
  });
});

describe('profile', () => {
  test('shows rating, record and history newest first, with "More" for older matches', async () => {
    const page = await openAs(`/players/${ANN.id}`, ANN.id);
    await waitForText(page, 'profile-name', /^Ann \(you\)$/, 15_000);
    expect(await textOf(page, 'profile-rating')).toMatch(/^\d{3,4} ± \d{1,3}$/);
    expect(await textOf(page, 'profile-matches')).toBe(String(OLDER_MATCHES + 1));
    const wins = Number(await textOf(page, 'profile-wins'));
    const annWonPlayed = played.final.winner === 0 ? 1 : 0;
    expect(wins).toBe(OLDER_MATCHES - Math.ceil(OLDER_MATCHES / 3) + annWonPlayed);

    const rows = page.getByTestId('history-row');
    await expect.poll(() => rows.count()).toBe(20);
    // The newest is the match against Bob: opponent, score from Ann's side, result, delta, replay.
    const first = rows.first();
    expect(await first.getAttribute('data-match-id')).toBe(played.id);
    expect(await first.getByTestId('history-opponent').innerText()).toBe('<b>Bob</b>');
    expect(await first.getByTestId('history-score').innerText()).toBe(
      `${played.final.scores[0]} : ${played.final.scores[1]}`,
    );
    expect(await first.getByTestId('history-result').innerText()).toBe(annWonPlayed ? 'won' : 'lost');
    expect(await first.getByTestId('history-delta').innerText()).toMatch(annWonPlayed ? /^\+\d+$/ : /^-\d+$/);
    expect(await first.getByTestId('history-duration').innerText()).toMatch(/^\d+:\d\d$/);
    expect(await first.getByTestId('history-replay').getAttribute('href')).toBe(
      `/replay/${played.id}?renderer=canvas`,
    );
    // Newest first.
    const newestFirst = [played.id, ...[...older].reverse()];
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.matchId));
    expect(ids).toEqual(newestFirst.slice(0, 20));

    const more = page.getByTestId('history-more');
    expect(await more.isVisible()).toBe(true);
    await more.click();
    await expect.poll(() => rows.count()).toBe(OLDER_MATCHES + 1);
    await expect.poll(() => more.isVisible()).toBe(false);
    const all = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.matchId));
    expect(all).toEqual(newestFirst);
    // The oldest match (the first one recorded, a loss for Ann 2 : 3) is last.
    expect(await rows.last().getByTestId('history-score').innerText()).toBe('2 : 3');
    expect(await rows.last().getByTestId('history-result').innerText()).toBe('lost');
  });

  test('an unknown or malformed id says there is no such player', async () => {
    for (const id of ['no-such-player-42', 'x', '%3Cscript%3E']) {
      const page = await openAs(`/players/${id}`);
      await waitForText(page, 'error', /no such player/i, 15_000);
      expect(await page.getByTestId('error').isVisible()).toBe(true);
      expect(await page.locator('#profile-view').isVisible()).toBe(false);
    }
  });
});

describe('replay', () => {
  test('plays the match back to its final score, scrubs, changes speed and marks every point', async () => {
    const page = await openAs(`/replay/${played.id}`);
    await waitForText(page, 'replay-left-name', /^Ann$/, 15_000);
    expect(await textOf(page, 'replay-right-name')).toBe('<b>Bob</b>');
    const points = played.final.scores[0] + played.final.scores[1];
    expect(await page.getByTestId('replay-point').count()).toBe(points);
    const speeds = await page.getByTestId('replay-speed').locator('option').allInnerTexts();
    expect(speeds).toEqual(['1×', '2×', '4×', '8×']);
    await waitForText(page, 'replay-status', /^playing$/, 15_000);

    await page.getByTestId('replay-speed').selectOption('8');
    await waitForText(page, 'replay-status', /^finished$/);
    expect(await textOf(page, 'replay-score-left')).toBe(String(played.final.scores[0]));
    expect(await textOf(page, 'replay-score-right')).toBe(String(played.final.scores[1]));
    const seek = page.getByTestId('replay-seek');
    const max = await seek.getAttribute('max');
    expect(await seek.inputValue()).toBe(max);

    // Scrub back to the start: 0 : 0, paused there.
    await seek.fill('0');
    await waitForText(page, 'replay-status', /^paused$/);
    expect(await textOf(page, 'replay-score-left')).toBe('0');
    expect(await textOf(page, 'replay-score-right')).toBe('0');

    // A point's mark seeks to just before it: one click on the last mark, play, and it finishes.
    await page.getByTestId('replay-point').last().click();
    const shown = async () =>
      Number(await textOf(page, 'replay-score-left')) + Number(await textOf(page, 'replay-score-right'));
    await expect.poll(shown).toBe(points - 1);
    expect(await textOf(page, 'replay-status')).toBe('paused');
    await page.getByTestId('replay-play').click();
    await waitForText(page, 'replay-status', /^finished$/);
    expect(await textOf(page, 'replay-score-left')).toBe(String(played.final.scores[0]));

    // Play again starts over at 1×; dragging the bar holds the replay, and letting go plays on
    // from where it was dropped.
    await page.getByTestId('replay-speed').selectOption('1');
    await page.getByTestId('replay-play').click();
    await waitForText(page, 'replay-status', /^playing$/);
    const box = await seek.boundingBox();
    if (!box) throw new Error('the seek bar is not laid out');
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.1, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
    await waitForText(page, 'replay-status', /^paused$/);
    await page.mouse.up();
    await waitForText(page, 'replay-status', /^playing$/);
    const at = Number(await seek.inputValue()) / Number(max);
    expect(at).toBeGreaterThan(0.5);
    expect(at).toBeLessThan(0.75);
  });

  test('an unknown match says there is no such match', async () => {
    const page = await openAs('/replay/no-such-match-123');
    await waitForText(page, 'error', /no such match/i, 15_000);
    expect(await page.locator('#replay-view').isVisible()).toBe(false);
  });
});
