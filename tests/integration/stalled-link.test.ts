import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import { waitFor, waitForSnapshot, type GameClient } from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { startFreezeProxy } from '../support/freeze-proxy.ts';
import { PlayerBot } from '../support/player-bot.ts';
import type { TestServer } from '../support/server.ts';

const env = useTestEnv();

/** The link watch's deadline in the issue: a frozen player's match pauses within 1.5 s. */
const PAUSED_WITHIN_MS = 1_500;

function lastScore(s: Snapshot): number {
  return s.scores[0] + s.scores[1];
}

async function playFrozen(server: TestServer, transports: string[]) {
  const proxy = await startFreezeProxy(server.port);
  env.defer(() => proxy.close());
  const host = await env.connected(server);
  const guest: GameClient = await env.connected(
    { ...server, url: proxy.url },
    { transports, upgrade: false, reconnection: false },
  );
  const created = await createRoom(host, 'Host');
  await joinRoom(guest, { code: created.code, nickname: 'Guest' });
  new PlayerBot(host, { intent: 1 }).start();
  const guestBot = new PlayerBot(guest, { intent: -1 }).start();
  await waitForSnapshot(host, (s) => s.phase === 'playing', 10_000);

  proxy.freeze();
  const frozenAt = performance.now();
  const [paused] = await waitFor(host, 'room:state', (info) => info.phase === 'paused', 5_000);
  const pausedAfterMs = performance.now() - frozenAt;
  expect(pausedAfterMs).toBeLessThan(PAUSED_WITHIN_MS);
  // The opponent sees the frozen player as away.
  expect(paused.players[1]).toMatchObject({ nickname: 'Guest', connected: false });
  const atPause = await waitForSnapshot(host, (s) => s.phase === 'paused');
  // The seat's grace runs from the stall (socket.io's heartbeat has not even noticed yet).
  expect(atPause.timerTenths).toBeGreaterThan(server.config.reconnectGraceMs / 100 - 10);
  // While the link is frozen, no point is decided: the score stays, snapshot after snapshot.
  const during: Snapshot[] = [];
  for (let i = 0; i < 30; i += 1) during.push(await waitForSnapshot(host));
  expect(during.every((s) => s.phase === 'paused' && lastScore(s) === lastScore(atPause))).toBe(true);

  proxy.release();
  // Its traffic comes back on the same connection: the match resumes with the usual countdown.
  await waitFor(
    host,
    'room:state',
    (info) => info.phase === 'countdown' && info.players[1]?.connected === true,
  );
  const resumed = await waitForSnapshot(host, (s) => s.phase === 'playing', 10_000);
  expect(lastScore(resumed)).toBe(lastScore(atPause));
  guestBot.stop();
  return { pausedAfterMs };
}

describe('a link that goes silent (no FIN, no RST)', () => {
  it('over WebSocket: paused within 1.5 s, no point while frozen, play resumes when the link is back', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    await playFrozen(server, ['websocket']);
  });

  it('over long-polling: the same', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    await playFrozen(server, ['polling']);
  });

  it('a spectator who goes silent is never stalled', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, right, code } = await env.startMatch(server);
    new PlayerBot(left).start();
    new PlayerBot(right).start();
    const watcher = await env.connected(server);
    await joinRoom(watcher, { code });
    await waitForSnapshot(left, (s) => s.phase === 'playing', 10_000);
    // The watcher sends nothing at all for well over the stall time; the match plays on.
    const t0 = (await waitForSnapshot(left)).serverTimeMs;
    const later = await waitForSnapshot(left, (s) => s.serverTimeMs - t0 > 2_500, 10_000);
    expect(later.phase).not.toBe('paused');
  });
});
