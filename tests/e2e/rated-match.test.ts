// Issue 12 end to end: two browsers play a rated quick match to the end, both see their rating
// change (opposite signs), the leaderboard and both profiles show it, and the match's replay
// reaches `finished` with the match's score. Also: a browser whose secret does not match its id
// becomes a new player by itself.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { connectionState, openPage, textOf, waitForText, withCanvas } from './support/pages.ts';
import { startServerWithStore, type StoreServer } from './support/store-server.ts';

let server: StoreServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServerWithStore({ pointsToWin: 2 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const stored = (page: Page, key: string) => page.evaluate((k) => localStorage.getItem(k), key);
const score = async (page: Page): Promise<[number, number]> => [
  Number(await textOf(page, 'score-left')),
  Number(await textOf(page, 'score-right')),
];

/** The page's visible text must never contain the profile secret. */
async function expectSecretHidden(page: Page, secret: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.outerHTML)).not.toContain(secret);
}

describe('a rated quick match', () => {
  test('rating changes, leaderboard, profiles and the replay all agree with the match', async () => {
    const alice = await openPage(browser, `${server.url}/`);
    const bob = await openPage(browser, `${server.url}/`);
    await expect.poll(() => connectionState(alice), { timeout: 15_000 }).toBe('online');
    await expect.poll(() => connectionState(bob), { timeout: 15_000 }).toBe('online');
    const ids = { alice: await stored(alice, 'pong.playerId'), bob: await stored(bob, 'pong.playerId') };
    const secrets = {
      alice: await stored(alice, 'pong.profileSecret'),
      bob: await stored(bob, 'pong.profileSecret'),
    };
    expect(secrets.alice).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secrets.bob).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secrets.alice).not.toBe(secrets.bob);
    // The lobby links to the leaderboard and to this player's own profile.
    expect(await alice.getByTestId('my-profile-link').getAttribute('href')).toBe(
      `/players/${ids.alice}?renderer=canvas`,
    );
    expect(await alice.getByTestId('leaderboard-link').getAttribute('href')).toBe(
      '/leaderboard?renderer=canvas',
    );

    await alice.getByTestId('nickname').fill('Alice');
    await alice.getByTestId('quick-match').click();
    await expect.poll(() => alice.getByTestId('searching').isVisible()).toBe(true);
    await bob.getByTestId('nickname').fill('Bob');
    await bob.getByTestId('quick-match').click();
    await waitForText(alice, 'role', /left/);
    await waitForText(bob, 'role', /right/);

    // Both paddles leave the centre (Alice to the top, Bob to the bottom): every serve misses.
    await alice.keyboard.down('KeyW');
    await bob.keyboard.down('KeyS');
    for (const page of [alice, bob]) await waitForText(page, 'match-status', /finished/);
    const final = await score(alice);
    expect(await score(bob)).toEqual(final);
    expect(Math.max(...final)).toBe(2);
    const aliceWon = final[0] > final[1];

    // Each player sees their own change: the winner up, the loser down.
    await waitForText(alice, 'rating-change', /^[+-]\d+$/);
    await waitForText(bob, 'rating-change', /^[+-]\d+$/);
    const delta = {
      alice: Number(await textOf(alice, 'rating-change')),
      bob: Number(await textOf(bob, 'rating-change')),
    };
    expect(Math.sign(delta.alice)).toBe(aliceWon ? 1 : -1);
    expect(Math.sign(delta.bob)).toBe(aliceWon ? -1 : 1);
    const rating = {
      alice: Number(await textOf(alice, 'new-rating')),
      bob: Number(await textOf(bob, 'new-rating')),
    };
    expect(Math.abs(rating.alice - 1500 - delta.alice)).toBeLessThanOrEqual(1);
    expect(Math.abs(rating.bob - 1500 - delta.bob)).toBeLessThanOrEqual(1);

    // Both get the same replay link.
    const replayHref = await alice.getByTestId('replay-link').getAttribute('href');
    expect(replayHref).toMatch(/^\/replay\/[A-Za-z0-9_-]{8,64}\?renderer=canvas$/);
    expect(await bob.getByTestId('replay-link').getAttribute('href')).toBe(replayHref);
    expect(await alice.getByTestId('replay-link').isVisible()).toBe(true);
    const matchId = (replayHref as string).split('/')[2]?.split('?')[0] as string;
    await expectSecretHidden(alice, secrets.alice as string);

    // The leaderboard: both, the winner first, the reader's row highlighted.
    const board = await openPage(browser, `${server.url}/leaderboard`);
    await board.evaluate((id) => localStorage.setItem('pong.playerId', id as string), ids.bob);
    await board.reload();
    const rows = board.getByTestId('leaderboard-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    const order = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.playerId));
    expect(order).toEqual(aliceWon ? [ids.alice, ids.bob] : [ids.bob, ids.alice]);
    const mine = board.locator('[data-testid="leaderboard-row"][aria-current="true"]');
    expect(await mine.getAttribute('data-player-id')).toBe(ids.bob);
    const ratingOf = async (id: string | null) =>
      Number(
        (
          await rows
            .filter({ has: board.locator(`a[href^="/players/${id}"]`) })
            .getByTestId('leaderboard-rating')
            .innerText()
        ).split(' ')[0],
      );
    expect(await ratingOf(ids.alice)).toBe(rating.alice);
    expect(await ratingOf(ids.bob)).toBe(rating.bob);

    // Both profiles: one rated match, against the other, with the same change and score.
    for (const who of ['alice', 'bob'] as const) {
      const page = await openPage(browser, `${server.url}/players/${ids[who]}`);
      await waitForText(page, 'profile-name', who === 'alice' ? /^Alice/ : /^Bob/, 15_000);
      expect(await textOf(page, 'profile-matches')).toBe('1');
      expect(await textOf(page, 'profile-wins')).toBe((who === 'alice') === aliceWon ? '1' : '0');
      const row = page.getByTestId('history-row');
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.getAttribute('data-match-id')).toBe(matchId);
      expect(await row.getByTestId('history-opponent').innerText()).toBe(who === 'alice' ? 'Bob' : 'Alice');
      const own: [number, number] = who === 'alice' ? final : [final[1], final[0]];
      expect(await row.getByTestId('history-score').innerText()).toBe(`${own[0]} : ${own[1]}`);
      expect(await row.getByTestId('history-delta').innerText()).toBe(
        `${delta[who] > 0 ? '+' : ''}${delta[who]}`,
      );
      await expectSecretHidden(page, secrets[who] as string);
    }

    // The replay, from the link after the match, plays to the match's score.
    await alice.getByTestId('replay-link').click();
    await alice.waitForURL(new RegExp(`/replay/${matchId}\\?renderer=canvas$`));
    await waitForText(alice, 'replay-left-name', /^Alice$/, 15_000);
    await alice.getByTestId('replay-speed').selectOption('8');
    await waitForText(alice, 'replay-status', /^finished$/);
    expect(await textOf(alice, 'replay-score-left')).toBe(String(final[0]));
    expect(await textOf(alice, 'replay-score-right')).toBe(String(final[1]));
    expect(await alice.getByTestId('replay-point').count()).toBe(final[0] + final[1]);
  });

  test('a browser whose secret does not match its id becomes a new player and plays on', async () => {
    const owner = await openPage(browser, `${server.url}/`);
    await expect.poll(() => connectionState(owner), { timeout: 15_000 }).toBe('online');
    const takenId = await stored(owner, 'pong.playerId');

    const context = await browser.newContext();
    await context.addInitScript((id) => {
      // Only the first load: the page must be free to store the new profile it makes.
      if (sessionStorage.getItem('seeded')) return;
      sessionStorage.setItem('seeded', '1');
      localStorage.setItem('pong.playerId', id as string);
      localStorage.setItem('pong.profileSecret', 'W'.repeat(43));
    }, takenId);
    const intruder = await context.newPage();
    await intruder.goto(withCanvas(`${server.url}/`));
    await expect.poll(() => connectionState(intruder), { timeout: 15_000 }).toBe('online');
    await expect.poll(() => stored(intruder, 'pong.playerId')).not.toBe(takenId);
    expect(await stored(intruder, 'pong.profileSecret')).not.toBe('W'.repeat(43));
    expect(await stored(intruder, 'pong.profileSecret')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await intruder.getByTestId('error').isVisible()).toBe(false);
    expect(await intruder.getByTestId('my-profile-link').getAttribute('href')).toBe(
      `/players/${await stored(intruder, 'pong.playerId')}?renderer=canvas`,
    );
    // And it can still play: practice starts a match.
    await intruder.getByTestId('practice').click();
    await waitForText(intruder, 'role', /left/);
  });
});
