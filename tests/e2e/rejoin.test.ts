import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser } from './support/browser.ts';
import { startGameServer, type RunningServer } from './support/game-server.ts';
import {
  MATCH_TIMEOUT_MS,
  acceptInvite,
  openPage,
  textOf,
  waitForText,
  withCanvas,
} from './support/pages.ts';

const POINTS_TO_WIN = 5;

let server: RunningServer;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  // A shorter countdown than production's keeps each resume quick; the score is read during it.
  server = await startGameServer({ pointsToWin: POINTS_TO_WIN, countdownMs: 800 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(url: string): Promise<Page> {
  const page = await openPage(browser, url);
  watch(page);
  return page;
}

function watch(page: Page): void {
  page.on('pageerror', (err) => pageErrors.push(err.message));
}

type Score = [number, number];

async function score(page: Page): Promise<Score> {
  return [Number(await textOf(page, 'score-left')), Number(await textOf(page, 'score-right'))];
}

/** The page's seat tokens (what survives a reload or a closed tab), by room code. */
const seatTokens = (page: Page) =>
  page.evaluate(() => Object.entries(localStorage).filter(([key]) => key.startsWith('pong.seat.')));

/**
 * Two people in a private match, each in their own browser context, with their paddles held
 * against opposite walls (every serve is a point) until at least one point is on the board.
 */
async function matchWithAPoint(hostUrl = `${server.url}/`) {
  const host = await open(hostUrl);
  await host.getByTestId('nickname').fill('Host');
  await host.getByTestId('create-private').click();
  await waitForText(host, 'invite-link', /\/r\/[A-Za-z0-9_-]{8,}$/);
  const invite = await textOf(host, 'invite-link');
  const code = invite.slice(invite.lastIndexOf('/') + 1);
  const guest = await open(invite);
  await acceptInvite(guest);
  await waitForText(host, 'role', /left/);
  await waitForText(guest, 'role', /right/);
  await host.keyboard.down('KeyW');
  await guest.keyboard.down('KeyS');
  await expect
    .poll(async () => (await score(host)).reduce((a, b) => a + b), { timeout: MATCH_TIMEOUT_MS })
    .toBeGreaterThanOrEqual(1);
  return { host, guest, invite, code };
}

/** The host sees the match paused with a countdown; returns the score frozen by the pause. */
async function pausedScore(host: Page): Promise<Score> {
  await waitForText(host, 'match-status', /paused: waiting \d+ s/);
  await waitForText(host, 'player-right-name', /\(away\)$/);
  const frozen = await score(host);
  expect(frozen[0] + frozen[1]).toBeGreaterThanOrEqual(1);
  expect(Math.max(...frozen)).toBeLessThan(POINTS_TO_WIN);
  return frozen;
}

/** The guest is back in its seat and the match resumes from `frozen`, then plays on from there. */
async function expectResumed(host: Page, guest: Page, code: string, frozen: Score): Promise<void> {
  await waitForText(guest, 'role', /You are right/);
  await waitForText(guest, 'match-status', /countdown|playing/);
  await waitForText(host, 'match-status', /countdown|playing/);
  await waitForText(host, 'player-right-name', /^Anonymous$/);
  // Before the next point can land, both show the score the pause froze.
  await expect.poll(() => score(guest)).toEqual(frozen);
  expect(await score(host)).toEqual(frozen);
  // The server agrees: the same room, with both seats connected again.
  const room = server.app.rooms.get(code);
  expect(room?.info().players.map((p) => p?.connected)).toEqual([true, true]);
  // Play goes on from the frozen score.
  await expect
    .poll(async () => (await score(host)).reduce((a, b) => a + b), { timeout: MATCH_TIMEOUT_MS })
    .toBeGreaterThan(frozen[0] + frozen[1]);
  const now = await score(host);
  expect(now[0]).toBeGreaterThanOrEqual(frozen[0]);
  expect(now[1]).toBeGreaterThanOrEqual(frozen[1]);
}

describe('a player comes back to its seat in the browser', () => {
  test('reloading the page mid-match rejoins the same seat; the match resumes with the score intact', async () => {
    const { host, guest, code } = await matchWithAPoint();
    const tokens = await seatTokens(guest);
    expect(tokens).toHaveLength(1);

    // Hold the reloaded page's script until the host has seen the pause, so the pause is observed
    // however fast the reload is.
    let release: () => void = () => undefined;
    const hostSawPause = new Promise<void>((resolve) => (release = resolve));
    await guest.route('**/assets/*.js', async (route) => {
      await hostSawPause;
      await route.continue();
    });
    const reloaded = guest.reload();
    const frozen = await pausedScore(host);
    release();
    await reloaded;
    await guest.unroute('**/assets/*.js');

    expect(await seatTokens(guest)).toEqual(tokens);
    await expectResumed(host, guest, code, frozen);
    expect(pageErrors).toEqual([]);
  });

  test('closing the page and opening the invite link again in the same browser takes the same seat', async () => {
    const { host, guest, invite, code } = await matchWithAPoint();
    const context = guest.context();
    const tokens = await seatTokens(guest);

    await guest.close();
    const frozen = await pausedScore(host);
    const again = await context.newPage();
    watch(again);
    await again.goto(withCanvas(invite));

    expect(await seatTokens(again)).toEqual(tokens);
    await expectResumed(host, again, code, frozen);
    expect(pageErrors).toEqual([]);
  });

  test('?transport=polling on one page: that player plays over long-polling and the match starts', async () => {
    const host = await open(`${server.url}/?transport=polling`);
    await host.getByTestId('create-private').click();
    await waitForText(host, 'invite-link', /\/r\/[A-Za-z0-9_-]{8,}$/);
    const invite = await textOf(host, 'invite-link');
    const guest = await open(invite);
    await acceptInvite(guest);
    await waitForText(host, 'match-status', /playing/);
    await waitForText(guest, 'match-status', /playing/);

    // The server sees one player on each transport, and the polling one never upgraded.
    const room = server.app.rooms.get(invite.slice(invite.lastIndexOf('/') + 1));
    const transports = (room?.memberIds() ?? []).map(
      (id) => server.app.io.sockets.sockets.get(id)?.conn.transport.name,
    );
    expect(transports.sort()).toEqual(['polling', 'websocket']);
    expect(pageErrors).toEqual([]);
  });
});
