import { performance } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RoomListing } from '../../shared/protocol/messages.ts';
import { startProcessCluster, type ProcessCluster } from '../support/cluster-processes.ts';
import { launchBrowser } from './support/browser.ts';
import { connectionState, textOf, waitForText, withCanvas } from './support/pages.ts';

const POINTS_TO_WIN = 3;
const RECONNECT_GRACE_MS = 15_000;
/** Every node's /api/rooms agrees with every change within this (issue 11). */
const LISTING_AGREEMENT_MS = 500;
/** How often each node's /api/rooms is read while a match runs. */
const LISTING_POLL_MS = 50;

let cluster: ProcessCluster;
let browser: Browser;

beforeAll(async () => {
  cluster = await startProcessCluster({
    nodes: 3,
    env: {
      POINTS_TO_WIN: String(POINTS_TO_WIN),
      RECONNECT_GRACE_MS: String(RECONNECT_GRACE_MS),
      // The test reads every node's /api/rooms 20 times a second.
      API_REQUESTS_PER_MINUTE: '1000000',
    },
  });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.close();
}, 60_000);

async function listings(url: string): Promise<RoomListing[]> {
  const res = await fetch(`${url}/api/rooms`);
  if (res.status !== 200) throw new Error(`${url}/api/rooms answered ${res.status}`);
  return ((await res.json()) as { rooms: RoomListing[] }).rooms;
}

const score = async (page: Page) => [
  Number(await textOf(page, 'score-left')),
  Number(await textOf(page, 'score-right')),
];
const total = async (page: Page) => (await score(page)).reduce((a, b) => a + b, 0);

/** The listing of the match between these two nicknames, as each node shows it. */
const ofMatch = (rooms: RoomListing[], nicks: [string, string]) =>
  rooms.find((r) => r.players[0] !== null && nicks.includes(r.players[0]) && r.players[1] !== null);

/**
 * Reads every node's /api/rooms every LISTING_POLL_MS (each node on its own port, past the
 * balancer) and keeps, per node, when each version of one match's listing was first and last seen.
 */
class ListingWatch {
  readonly seen = new Map<string, { atMs: number; listing: string }[]>();
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(nodes: { id: string; url: string }[], nicks: [string, string]) {
    this.loops = nodes.map(async ({ id, url }) => {
      const samples: { atMs: number; listing: string }[] = [];
      this.seen.set(id, samples);
      while (this.running) {
        const atMs = performance.now();
        const found = ofMatch(await listings(url), nicks);
        samples.push({ atMs, listing: found ? JSON.stringify(found) : 'none' });
        await new Promise((r) => setTimeout(r, LISTING_POLL_MS));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * Every version of the listing that one node showed was shown by every other node within
   * LISTING_AGREEMENT_MS of when it first appeared — that version, or one the first node showed
   * after it (a version replaced sooner than another node's next look need not be seen there);
   * returns the versions that were not.
   */
  disagreements(): string[] {
    const out: string[] = [];
    for (const [id, samples] of this.seen) {
      samples.forEach((s, i) => {
        if (i > 0 && samples[i - 1]?.listing === s.listing) return;
        const sameOrLater = new Set(samples.slice(i).map((x) => x.listing));
        for (const [other, theirs] of this.seen) {
          if (other === id) continue;
          const agreed = theirs.some(
            (t) =>
              sameOrLater.has(t.listing) &&
              t.atMs >= s.atMs - LISTING_AGREEMENT_MS - LISTING_POLL_MS &&
              t.atMs <= s.atMs + LISTING_AGREEMENT_MS + LISTING_POLL_MS,
          );
          if (!agreed)
            out.push(`${other} never showed, near ${Math.round(s.atMs)} ms, what ${id} showed: ${s.listing}`);
        }
      });
    }
    return out;
  }

  versions(): RoomListing[] {
    return [...this.seen.values()]
      .flat()
      .filter((s) => s.listing !== 'none')
      .map((s) => JSON.parse(s.listing) as RoomListing);
  }
}

/** A fresh browser context (another person) on `url`; records the WebSockets it opens. */
async function openPage(url: string, webSockets: string[]): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  page.on('websocket', (ws) => webSockets.push(ws.url()));
  await page.goto(withCanvas(url));
  return page;
}

/** Two pages quick-match each other through the balancer; a third watches from the live list. */
async function quickMatchAndWatch(nicks: [string, string], query = '', webSockets: string[] = []) {
  const open = () => openPage(`${cluster.url}/${query}`, webSockets);
  const [left, right, watcher] = await Promise.all([open(), open(), open()]);
  for (const [page, nick] of [
    [left, nicks[0]],
    [right, nicks[1]],
  ] as const) {
    await page.getByTestId('nickname').fill(nick);
    await page.getByTestId('quick-match').click();
  }
  await waitForText(left, 'role', /left|right/);
  await waitForText(right, 'role', /left|right/);
  const item = watcher.getByTestId('room-item').filter({ hasText: nicks[1] });
  await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(1);
  await item.getByTestId('spectate').click();
  await waitForText(watcher, 'role', /spectator/);
  return { left, right, watcher };
}

/** Both players hold their paddle at an edge: points come quickly. */
async function missEverything(pages: Page[]): Promise<void> {
  await pages[0]?.keyboard.down('KeyW');
  await pages[1]?.keyboard.down('KeyS');
}

async function expectSameFinalScore(pages: Page[]): Promise<number[]> {
  for (const page of pages) await waitForText(page, 'match-status', /finished/);
  const final = await score(pages[0] as Page);
  expect(Math.max(...final)).toBe(POINTS_TO_WIN);
  for (const page of pages) expect(await score(page)).toEqual(final);
  return final;
}

async function closePages(pages: Page[]): Promise<void> {
  await Promise.all(pages.map((p) => p.context().close()));
}

describe('three nodes behind HAProxy, real browsers', () => {
  test('quick match through the balancer to the end, watched from the live list; every node lists it alike', async () => {
    const nicks: [string, string] = ['Ann', 'Bob'];
    const watch = new ListingWatch([...cluster.nodes.values()], nicks);
    const { left, right, watcher } = await quickMatchAndWatch(nicks);
    await waitForText(left, 'spectator-count', /^1$/);
    await missEverything([left, right]);
    await expectSameFinalScore([left, right, watcher]);
    // A finished match leaves the list: wait until no node shows it, so the last change is sampled.
    await expect
      .poll(async () =>
        Promise.all(
          cluster.ids.map(async (id) => ofMatch(await listings(cluster.node(id).url), nicks) ?? null),
        ),
      )
      .toEqual(cluster.ids.map(() => null));
    await watch.stop();
    const versions = watch.versions();
    // Scores, spectators and phases changed along the way, always under one owner.
    expect(new Set(versions.map((v) => JSON.stringify(v))).size).toBeGreaterThan(3);
    expect(new Set(versions.map((v) => v.node)).size).toBe(1);
    expect(cluster.ids).toContain(versions[0]?.node);
    expect(watch.disagreements()).toEqual([]);
    await closePages([left, right, watcher]);
  });

  test('SIGKILL the owner mid-match: both players and the spectator play on with the score intact', async () => {
    const nicks: [string, string] = ['Cy', 'Di'];
    const { left, right, watcher } = await quickMatchAndWatch(nicks);
    const pages = [left, right, watcher];
    await missEverything([left, right]);
    await expect.poll(() => total(left), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    await left.keyboard.up('KeyW');
    await right.keyboard.up('KeyS');
    const owner = ofMatch(await listings(cluster.url), nicks)?.node as string;
    expect(cluster.ids).toContain(owner);
    const before = await score(left);
    expect(await cluster.stop(owner, 'SIGKILL')).toBe('SIGKILL');
    const killedAt = performance.now();
    // The match is resumed on another node (from the checkpoint of its last point), which every live
    // node lists; the dead node's listings are gone.
    const live = cluster.ids.filter((id) => id !== owner);
    await expect
      .poll(
        async () =>
          (await Promise.all(live.map((id) => listings(cluster.node(id).url)))).every((rooms) => {
            const match = ofMatch(rooms, nicks);
            return !rooms.some((r) => r.node === owner) && match !== undefined && live.includes(match.node);
          }),
        { timeout: RECONNECT_GRACE_MS, interval: 100 },
      )
      .toBe(true);
    // Every page, the spectator's too, is back in play with the score it had (or more), within the grace.
    for (const page of pages) {
      await expect
        .poll(
          async () =>
            (await connectionState(page)) === 'online' &&
            /playing/.test(await textOf(page, 'match-status')) &&
            (await score(page)).every((n, i) => n >= (before[i] as number)),
          { timeout: RECONNECT_GRACE_MS, interval: 100 },
        )
        .toBe(true);
    }
    expect(performance.now() - killedAt).toBeLessThan(RECONNECT_GRACE_MS);
    // And they play on to the end, from where they were.
    await missEverything([left, right]);
    const final = await expectSameFinalScore(pages);
    expect(final[0]).toBeGreaterThanOrEqual(before[0] as number);
    expect(final[1]).toBeGreaterThanOrEqual(before[1] as number);
    await closePages(pages);
    await cluster.start(owner);
  });

  test('?transport=polling through the balancer plays a whole match', async () => {
    const nicks: [string, string] = ['Ed', 'Flo'];
    const sockets: string[] = [];
    const { left, right, watcher } = await quickMatchAndWatch(nicks, '?transport=polling', sockets);
    await missEverything([left, right]);
    await expectSameFinalScore([left, right, watcher]);
    expect(sockets).toEqual([]);
    for (const page of [left, right]) expect(page.url()).toContain('transport=polling');
    await closePages([left, right, watcher]);
  });
});
