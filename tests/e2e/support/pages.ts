import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';

export const MATCH_TIMEOUT_MS = 60_000;

/** A fresh browser context (its own storage, like another person) on `url` with the canvas renderer. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(withCanvas(url));
  return page;
}

export const withCanvas = (url: string) => `${url}${url.includes('?') ? '&' : '?'}renderer=canvas`;

export const textOf = (page: Page, testId: string) => page.getByTestId(testId).innerText();

/** Waits (polling the DOM, no fixed sleep) until the element's text matches. */
export const waitForText = (page: Page, testId: string, pattern: RegExp, timeout = MATCH_TIMEOUT_MS) =>
  expect.poll(() => textOf(page, testId), { timeout, interval: 100 }).toMatch(pattern);

/**
 * On an invite link's page: types `nickname` (when given) and takes the seat with one click. Waits
 * for the button to be enabled, which happens once the app has loaded.
 */
export async function acceptInvite(page: Page, nickname?: string): Promise<void> {
  const join = page.getByTestId('join-invite');
  await expect.poll(() => join.isEnabled(), { timeout: 10_000 }).toBe(true);
  if (nickname !== undefined) await page.getByTestId('invite-nickname').fill(nickname);
  await join.click();
}

/** The connection indicator's state: online, stalled (open but silent), reconnecting or offline. */
export const connectionState = (page: Page) => page.getByTestId('connection').getAttribute('data-state');
