import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startGameServer, type RunningServer } from './support/game-server.ts';
import { openPage, textOf, waitForText } from './support/pages.ts';

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startGameServer({ pointsToWin: 2 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const open = (url: string) => openPage(browser, url);
const text = textOf;

describe('two friends play a private match in the browser', () => {
  test('create, invite, play to the end; a third visitor watches the same score', async () => {
    const host = await open(`${server.url}/`);
    await host.getByTestId('nickname').fill('Alice');
    await host.getByTestId('create-private').click();
    await waitForText(host, 'invite-link', /\/r\/[A-Za-z0-9_-]{8,}$/);
    const invite = await text(host, 'invite-link');
    expect(invite.startsWith(server.url)).toBe(true);
    await waitForText(host, 'role', /left/);
    await waitForText(host, 'match-status', /waiting/);

    const guest = await open(invite);
    await waitForText(guest, 'role', /right/);
    await waitForText(host, 'match-status', /countdown|playing/);
    await waitForText(guest, 'match-status', /countdown|playing/);

    const watcher = await open(invite);
    await waitForText(watcher, 'role', /spectator/);
    await waitForText(host, 'spectator-count', /^1$/);

    // Both paddles leave the centre (host to the top, guest to the bottom): every serve misses.
    await host.keyboard.down('KeyW');
    await guest.keyboard.down('KeyS');
    await waitForText(host, 'match-status', /playing/);
    await waitForText(guest, 'match-status', /playing/);

    for (const page of [host, guest, watcher]) await waitForText(page, 'match-status', /finished/);
    const score = async (page: Page) =>
      `${await text(page, 'score-left')}:${await text(page, 'score-right')}`;
    const final = await score(host);
    expect(final).toMatch(/^(2:[01]|[01]:2)$/);
    expect(await score(guest)).toBe(final);
    expect(await score(watcher)).toBe(final);
    expect(await text(host, 'ping')).toMatch(/\d+ ms/);
    expect(await text(watcher, 'player-left-name')).toContain('Alice');
  });

  test('a bad or expired invite code shows a clear message', async () => {
    const page = await open(`${server.url}/r/doesNotExist1`);
    await waitForText(page, 'error', /does not exist|expired/i, 10_000);
    expect(await page.getByTestId('error').isVisible()).toBe(true);
  });
});
