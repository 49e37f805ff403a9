import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startGameServer, type RunningServer } from './support/game-server.ts';
import { openPage, textOf, waitForText } from './support/pages.ts';

const XSS_NICK = '<img src=x onerror=alert(1)>';
/** Nicknames keep 20 visible characters. */
const XSS_SHOWN = XSS_NICK.slice(0, 20);
/** Short enough to survive the cut: rendered as HTML it would add an <img> to the page. */
const BOB = '<img src=x>Bob';

let server: RunningServer;
let browser: Browser;
const dialogs: string[] = [];

beforeAll(async () => {
  server = await startGameServer({ pointsToWin: 11 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(url: string): Promise<Page> {
  const page = await openPage(browser, url);
  // An injected onerror=alert(1) would open a dialog: record it so the test can fail on it.
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return page;
}

describe('matchmaking lobby', () => {
  test('two players quick-match, a third watches from the live list, nicknames stay text', async () => {
    const alice = await open(`${server.url}/`);
    const bob = await open(`${server.url}/`);
    const carol = await open(`${server.url}/`);
    await expect.poll(() => carol.getByTestId('room-list').count()).toBe(1);

    await alice.getByTestId('nickname').fill(XSS_NICK);
    await alice.getByTestId('quick-match').click();
    await expect.poll(() => alice.getByTestId('searching').isVisible()).toBe(true);

    await bob.getByTestId('nickname').fill(BOB);
    await bob.getByTestId('quick-match').click();

    await waitForText(alice, 'role', /left/);
    await waitForText(bob, 'role', /right/);
    await waitForText(alice, 'player-right-name', /^<img src=x>Bob$/);
    expect(await textOf(bob, 'player-left-name')).toBe(XSS_SHOWN);

    // The third person sees the match in the live list (pushed, no reload) and watches it.
    const item = carol.getByTestId('room-item').filter({ hasText: 'Bob' });
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(1);
    const itemText = await item.innerText();
    expect(itemText).toContain(XSS_SHOWN);
    expect(itemText).toContain(BOB);
    expect(itemText).toMatch(/\d+ : \d+/);
    expect(await carol.locator('img').count()).toBe(0);
    await item.getByTestId('spectate').click();

    await waitForText(carol, 'role', /spectator/);
    await waitForText(alice, 'spectator-count', /^1$/);
    await waitForText(bob, 'spectator-count', /^1$/);
    await waitForText(carol, 'player-right-name', /^<img src=x>Bob$/);
    expect(await textOf(carol, 'player-left-name')).toBe(XSS_SHOWN);
    await waitForText(carol, 'match-status', /countdown|playing/);
    for (const page of [alice, bob, carol]) expect(await page.locator('img').count()).toBe(0);

    // The spectator goes back to the lobby: everyone sees the count drop.
    await carol.getByTestId('back-to-lobby').click();
    await expect.poll(() => carol.getByTestId('room-list').isVisible()).toBe(true);
    await waitForText(alice, 'spectator-count', /^0$/);
    expect(dialogs).toEqual([]);
  });

  test('practice against the computer starts a match with the computer on the right', async () => {
    const page = await open(`${server.url}/`);
    await page.getByTestId('nickname').fill('Solo');
    await page.getByTestId('practice').click();
    await waitForText(page, 'role', /left/);
    await waitForText(page, 'player-right-name', /Computer/);
    await waitForText(page, 'match-status', /countdown|playing/);
    expect(await textOf(page, 'player-left-name')).toBe('Solo');
  });
});
