import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startGameServer, type RunningServer } from './support/game-server.ts';
import { acceptInvite, openPage, textOf, waitForText, withCanvas } from './support/pages.ts';

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

    // The friend opening the link picks a name first, then takes the seat with one click.
    const guest = await open(invite);
    await waitForText(guest, 'invite-title', /invited to a Pong match/);
    await acceptInvite(guest, 'Bob');
    await waitForText(guest, 'role', /right/);
    await waitForText(host, 'player-right-name', /^Bob$/);
    await waitForText(host, 'match-status', /countdown|playing/);
    await waitForText(guest, 'match-status', /countdown|playing/);
    expect(await textOf(guest, 'player-left-name')).toBe('Alice');

    const watcher = await open(invite);
    await acceptInvite(watcher, 'Carol');
    await waitForText(watcher, 'role', /spectator/);
    await waitForText(host, 'spectator-count', /^1$/);
    // The spectator is told it watches; the players keep the controls' help.
    await waitForText(watcher, 'help', /^You are watching/);
    expect(await textOf(host, 'help')).toMatch(/W \/ S/);
    expect(await textOf(guest, 'help')).toMatch(/W \/ S/);

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
    expect(await text(host, 'ping')).toMatch(/^\d+ ms$/);
    expect(await text(host, 'jitter')).toMatch(/^\d+ ms$/);
    expect(await text(watcher, 'player-left-name')).toContain('Alice');
  });

  test('the invite page says what it is for while it loads, and offers the name from the last visit', async () => {
    const host = await open(`${server.url}/`);
    await host.getByTestId('create-private').click();
    await waitForText(host, 'invite-link', /\/r\/[A-Za-z0-9_-]{8,}$/);
    const invite = await text(host, 'invite-link');

    // The app's script is held back: the page as first painted already explains itself.
    const guest = await (await browser.newContext()).newPage();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await guest.route('**/assets/*.js', async (route) => {
      await held;
      await route.continue();
    });
    const loading = guest.goto(withCanvas(invite));
    // The title's text is in the HTML itself: wait until the inline script has shown the invite
    // view (and, in the same step, hidden the lobby), not merely until the title was parsed.
    await guest.getByTestId('invite-title').waitFor({ state: 'visible', timeout: 10_000 });
    await waitForText(guest, 'invite-title', /^You're invited to a Pong match$/, 10_000);
    expect(await guest.getByTestId('join-invite').isDisabled()).toBe(true);
    expect(await guest.getByTestId('quick-match').isVisible()).toBe(false);
    release();
    await loading;
    await acceptInvite(guest, 'Dana');
    await waitForText(host, 'player-right-name', /^Dana$/);

    // Next time, in the same browser, the name is already there: one click takes the seat.
    const host2 = await open(`${server.url}/`);
    await host2.getByTestId('create-private').click();
    await waitForText(host2, 'invite-link', /\/r\/[A-Za-z0-9_-]{8,}$/);
    const again = await guest.context().newPage();
    await again.goto(withCanvas(await text(host2, 'invite-link')));
    await expect
      .poll(() => again.getByTestId('invite-nickname').inputValue(), { timeout: 10_000 })
      .toBe('Dana');
    await acceptInvite(again);
    await waitForText(host2, 'player-right-name', /^Dana$/);
  });

  test('a bad or expired invite code shows a clear message', async () => {
    const page = await open(`${server.url}/r/doesNotExist1`);
    await acceptInvite(page);
    await waitForText(page, 'error', /does not exist|expired/i, 10_000);
    expect(await page.getByTestId('error').isVisible()).toBe(true);
  });
});
