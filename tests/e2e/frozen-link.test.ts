import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startFreezeProxy, type FreezeProxy } from '../support/freeze-proxy.ts';
import { launchBrowser } from './support/browser.ts';
import { startGameServer, type RunningServer } from './support/game-server.ts';
import {
  MATCH_TIMEOUT_MS,
  acceptInvite,
  connectionState,
  openPage,
  textOf,
  waitForText,
} from './support/pages.ts';

/** The bounds: the server pauses within 1.5 s of a link going silent, the page knows within 2 s. */
const PAUSED_WITHIN_MS = 1500;
const PAGE_KNOWS_WITHIN_MS = 2000;
/** The client gives up on a silent connection after 4 s (LINK_RECONNECT_MS); a little slack for the check. */
const CLIENT_RECONNECTS_WITHIN_MS = 8000;

let server: RunningServer;
let browser: Browser;
let proxy: FreezeProxy | null = null;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startGameServer({ pointsToWin: 11, countdownMs: 800 });
  browser = await launchBrowser();
});

afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(url: string): Promise<Page> {
  const page = await openPage(browser, url);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return page;
}

type Transport = 'websocket' | 'polling';

/**
 * A private match in play: the host connects to the server directly, the guest through a freeze
 * proxy, on `transport`. Each page is marked so a reload would show (the mark would be gone).
 */
async function matchThroughProxy(transport: Transport) {
  const port = Number(new URL(server.url).port);
  proxy = await startFreezeProxy(port);
  const host = await open(`${server.url}/`);
  await host.getByTestId('nickname').fill('Host');
  await host.getByTestId('create-private').click();
  await waitForText(host, 'invite-link', /\/r\/[A-Za-z0-9_-]{8,}$/);
  const invite = new URL(await textOf(host, 'invite-link'));
  const code = invite.pathname.split('/')[2] as string;
  const hostSocket = server.app.rooms.get(code)?.memberIds()[0];
  const guest = await open(`${proxy.url}${invite.pathname}?transport=${transport}`);
  await acceptInvite(guest, 'Guest');
  await waitForText(host, 'player-right-name', /^Guest$/);
  for (const page of [host, guest]) {
    await waitForText(page, 'match-status', /playing/);
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
  }
  await expect.poll(() => connectionState(guest)).toBe('online');
  const guestSocket = () =>
    server.app.rooms
      .get(code)
      ?.memberIds()
      .find((id) => id !== hostSocket);
  const transportOf = (id: string | undefined) =>
    id === undefined ? undefined : server.app.io.sockets.sockets.get(id)?.conn.transport.name;
  expect(transportOf(guestSocket())).toBe(transport);
  return { host, guest, code, guestSocket };
}

const score = async (page: Page) =>
  `${await textOf(page, 'score-left')}:${await textOf(page, 'score-right')}`;
const notReloaded = (page: Page) => page.evaluate(() => 'notReloaded' in window);

/** After the link is back: both pages play again, the guest in its seat, and neither page was reloaded. */
async function expectPlayingAgain(host: Page, guest: Page): Promise<void> {
  await expect.poll(() => connectionState(guest), { timeout: MATCH_TIMEOUT_MS }).toBe('online');
  await waitForText(guest, 'role', /You are right/);
  await waitForText(host, 'player-right-name', /^Guest$/);
  await waitForText(guest, 'match-status', /playing/);
  await waitForText(host, 'match-status', /playing/);
  expect(await guest.getByTestId('field-notice').isVisible()).toBe(false);
  expect(await notReloaded(guest)).toBe(true);
  expect(await notReloaded(host)).toBe(true);
}

describe.each<Transport>(['websocket', 'polling'])('a frozen link (%s)', (transport) => {
  test('the match pauses, the frozen page says so, and play resumes when the link comes back', async () => {
    const { host, guest } = await matchThroughProxy(transport);
    const link = proxy as FreezeProxy;
    const frozenAt = Date.now();
    link.freeze();

    // Server side: the guest's silence pauses the match and shows the guest as away.
    await waitForText(host, 'match-status', /paused/, PAUSED_WITHIN_MS);
    await waitForText(host, 'player-right-name', /\(away\)$/, PAUSED_WITHIN_MS);
    const frozenScore = await score(host);
    // Client side: the frozen page stops saying `online` and the field shows why.
    await expect
      .poll(() => textOf(guest, 'connection'), {
        timeout: Math.max(0, PAGE_KNOWS_WITHIN_MS - (Date.now() - frozenAt)),
        interval: 50,
      })
      .not.toBe('online');
    expect(await textOf(guest, 'field-notice')).toMatch(/reconnecting/i);
    // No point is decided while the guest is gone.
    expect(await score(host)).toBe(frozenScore);
    expect(await textOf(host, 'match-status')).toMatch(/paused/);

    link.release();
    await expectPlayingAgain(host, guest);
    expect(pageErrors).toEqual([]);
  });

  test('a link frozen for long: the page drops it, reconnects by itself and takes its seat back', async () => {
    const { host, guest, guestSocket } = await matchThroughProxy(transport);
    const link = proxy as FreezeProxy;
    const before = guestSocket();
    link.freeze();
    await waitForText(host, 'match-status', /paused/, PAUSED_WITHIN_MS);

    // The page gives up on the silent connection (socket.io's heartbeat would take far longer).
    await expect
      .poll(() => connectionState(guest), { timeout: CLIENT_RECONNECTS_WITHIN_MS, interval: 100 })
      .toBe('reconnecting');
    expect(await textOf(guest, 'connection')).not.toBe('online');

    link.release();
    await expectPlayingAgain(host, guest);
    // A new connection holds the seat now.
    expect(guestSocket()).not.toBe(before);
    expect(pageErrors).toEqual([]);
  });
});

describe('a polling player who closes the tab', () => {
  test('the opponent sees the match paused at once, not at the next heartbeat', async () => {
    // Through a middlebox that does not pass the closed page's aborted requests on (as many do):
    // the server learns of the close only if the page says so, or from the missing polls.
    const port = Number(new URL(server.url).port);
    proxy = await startFreezeProxy(port, { keepUpstreamOpen: true });
    const host = await open(`${server.url}/`);
    await host.getByTestId('create-private').click();
    await waitForText(host, 'invite-link', /\/r\/[A-Za-z0-9_-]{8,}$/);
    const invite = new URL(await textOf(host, 'invite-link'));
    const guest = await open(`${proxy.url}${invite.pathname}?transport=polling`);
    await acceptInvite(guest);
    await waitForText(host, 'match-status', /playing/);
    await waitForText(guest, 'match-status', /playing/);

    await guest.close();
    await waitForText(host, 'match-status', /paused/, PAUSED_WITHIN_MS);
    await waitForText(host, 'player-right-name', /\(away\)$/, PAUSED_WITHIN_MS);
    expect(pageErrors).toEqual([]);
  });
});
