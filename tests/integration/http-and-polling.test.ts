import { describe, expect, it } from 'vitest';
import { SnapshotLog, waitFor, waitForSnapshot } from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';

const env = useTestEnv();

describe('HTTP', () => {
  it('GET /healthz answers JSON with status ok and live counts', async () => {
    const server = await env.startServer();
    const empty = await fetch(`${server.url}/healthz`);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await empty.json()).toMatchObject({ status: 'ok', rooms: 0, sockets: 0 });

    const client = await env.connected(server);
    await createRoom(client);
    const busy = await fetch(`${server.url}/healthz`);
    expect(await busy.json()).toMatchObject({ status: 'ok', rooms: 1, sockets: 1 });
  });
});

describe('HTTP long-polling fallback', () => {
  it('clients that cannot use WebSocket create, join, play and receive snapshots', async () => {
    const server = await env.startServer({ pointsToWin: 2 });
    const polling = { transports: ['polling'] as string[], upgrade: false };
    const left = await env.connected(server, polling);
    const right = await env.connected(server, polling);
    const log = new SnapshotLog(right);

    const created = await createRoom(left, 'proxy-1');
    expect(created.role).toBe('left');
    new PlayerBot(left, { intent: 1 }).start();
    expect((await joinRoom(right, { code: created.code, nickname: 'proxy-2' })).role).toBe('right');
    new PlayerBot(right, { intent: -1 }).start();

    const [final] = await waitFor(right, 'room:state', (s) => s.phase === 'finished', 20_000);
    const last = await waitForSnapshot(right, (s) => s.phase === 'finished');
    expect(last.scores[final.winner === 'left' ? 0 : 1]).toBe(2);
    // Inputs sent over polling reached the server: the acks follow what the bots sent.
    expect(last.acks[0]).toBeGreaterThan(10);
    expect(last.acks[1]).toBeGreaterThan(10);
    expect(last.paddles[0]).toBeGreaterThan(last.paddles[1]);
    expect(log.received.length).toBeGreaterThan(30);
    // Nothing was upgraded behind the test's back.
    expect(left.io.engine.transport.name).toBe('polling');
    expect(right.io.engine.transport.name).toBe('polling');
  });
});
