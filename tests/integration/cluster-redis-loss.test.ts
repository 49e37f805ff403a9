import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCluster } from '../../server/cluster/cluster.ts';
import { NODE_PRESENCE_TTL_MS } from '../../server/cluster/node-presence.ts';
import type { Config } from '../../server/config.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import { DEFAULT_WAIT_MS, waitFor, waitForSnapshot } from '../support/client.ts';
import { startCutProxy } from '../support/cut-proxy.ts';
import { startFreezeProxy } from '../support/freeze-proxy.ts';
import { useTestEnv } from '../support/env.ts';
import { queueJoin } from '../support/lobby.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { TEST_REDIS_URL, useRedis } from '../support/redis.ts';
import { pollUntil } from '../support/resilience.ts';
import type { TestServer } from '../support/server.ts';

const redisEnv = useRedis();
const env = useTestEnv();

/** A node on this test's key prefix, reaching Redis at `redisUrl`. */
async function startNode(nodeId: string, redisUrl: string, overrides: Partial<Config> = {}) {
  const cluster = await openCluster({
    redisUrl,
    nodeId,
    keyPrefix: redisEnv().prefix,
    // A lost Redis is reported on every reconnection attempt: expected here.
    onError: () => undefined,
  });
  return env.startServer({ nodeId, pointsToWin: 99, ...overrides }, { cluster });
}

async function health(node: TestServer): Promise<{ status: string; redis: string }> {
  const res = await fetch(`${node.url}/healthz`);
  return (await res.json()) as { status: string; redis: string };
}

const redisPort = Number(new URL(TEST_REDIS_URL).port || 6379);
const redisHost = new URL(TEST_REDIS_URL).hostname;

/** A link to Redis that can be lost and given back. */
interface RedisLink {
  port: number;
  lose(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

const LINKS: [string, () => Promise<RedisLink>][] = [
  // Redis stopped, or its host rebooted: connections reset, new ones refused.
  [
    'Redis goes down (connections reset and refused)',
    async () => {
      const proxy = await startCutProxy(redisPort, redisHost);
      return {
        port: proxy.port,
        lose: () => proxy.cut(),
        restore: () => proxy.restore(),
        close: () => proxy.close(),
      };
    },
  ],
  // A network partition: nothing comes back and nothing says so; commands time out.
  [
    'the link to Redis goes silent (a partition: no reset, no answer)',
    async () => {
      const proxy = await startFreezeProxy(redisPort);
      return {
        port: Number(new URL(proxy.url).port),
        lose: () => proxy.freeze(),
        restore: async () => proxy.release(),
        close: () => proxy.close(),
      };
    },
  ],
];

describe.each(LINKS)('a node whose Redis is lost while running: %s', (_name, openLink) => {
  it('keeps its matches playing, refuses new rooms with SERVER_SHUTTING_DOWN, and recovers when Redis returns', async () => {
    const proxy = await openLink();
    env.defer(() => proxy.close());
    const a = await startNode('node-a', `redis://127.0.0.1:${proxy.port}`);
    const b = await startNode('node-b', TEST_REDIS_URL);

    // A match on node A, with both players' bots and a point on the board.
    const [p1, p2] = await Promise.all([env.connected(a), env.connected(a)]);
    const matched = Promise.all([waitFor(p1, 'queue:matched'), waitFor(p2, 'queue:matched')]);
    expect(await queueJoin(p1, 'Ann')).toEqual({ ok: true });
    expect(await queueJoin(p2, 'Bob')).toEqual({ ok: true });
    const [[join1]] = await matched;
    const roomId = join1.room.id;
    new PlayerBot(p1).start();
    new PlayerBot(p2).start();
    await waitForSnapshot(p1, (s) => s.phase === 'playing', 10_000);
    await pollUntil(
      () => b.app.directory.list(),
      (rooms) => rooms.some((r) => r.id === roomId && r.node === 'node-a'),
      'node B to list the match of node A',
    );

    proxy.lose();
    // No event says "Redis is gone" from outside: the node's health check tells.
    await pollUntil(
      () => health(a),
      (h) => h.redis === 'unreachable',
      'node A to notice Redis is gone',
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    // No new rooms, no quick match: a clear refusal, not a room nobody else could find.
    const newcomer = await env.connected(a);
    expect(
      await newcomer.timeout(DEFAULT_WAIT_MS).emitWithAck('room:create', { nickname: 'Cy' }),
    ).toMatchObject({
      ok: false,
      error: ErrorCode.SERVER_SHUTTING_DOWN,
    });
    expect(await queueJoin(newcomer, 'Cy')).toMatchObject({
      ok: false,
      error: ErrorCode.SERVER_SHUTTING_DOWN,
    });
    // The others stop seeing node A once its presence lapses...
    await pollUntil(
      () => b.app.directory.list(),
      (rooms) => !rooms.some((r) => r.node === 'node-a'),
      'node A to vanish from node B',
      { timeoutMs: NODE_PRESENCE_TTL_MS + 5_000, intervalMs: 100 },
    );
    // ...yet, past every TTL, the match on A still plays: time runs and the players are heard.
    const during = await waitForSnapshot(p1, (s) => s.phase === 'playing', DEFAULT_WAIT_MS);
    const later = await waitForSnapshot(
      p2,
      (s) => s.phase === 'playing' && s.serverTimeMs >= during.serverTimeMs + 1_000,
      DEFAULT_WAIT_MS,
    );
    expect(later.scores[0] + later.scores[1]).toBeGreaterThanOrEqual(during.scores[0] + during.scores[1]);
    expect(a.app.rooms.getById(roomId)?.isClosed).toBe(false);

    await proxy.restore();
    await pollUntil(
      () => health(a),
      (h) => h.redis === 'ok' && h.status === 'ok',
      'node A to recover',
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    // It takes new rooms again, and the match it kept is its own again: leased and listed everywhere.
    const created = await newcomer.timeout(DEFAULT_WAIT_MS).emitWithAck('room:create', { nickname: 'Cy' });
    expect(created).toMatchObject({ ok: true, node: 'node-a' });
    await pollUntil(
      () => a.app.cluster?.leases.owner(roomId) ?? Promise.resolve(null),
      (owner) => owner === 'node-a',
      'node A to hold the lease of its match again',
    );
    await pollUntil(
      () => b.app.directory.list(),
      (rooms) => rooms.some((r) => r.id === roomId && r.node === 'node-a'),
      'node B to list the match of node A again',
      { timeoutMs: 8_000, intervalMs: 100 },
    );
    const after = await waitForSnapshot(p1, (s) => s.phase === 'playing', DEFAULT_WAIT_MS);
    expect(after.scores[0] + after.scores[1]).toBeGreaterThanOrEqual(later.scores[0] + later.scores[1]);
  });
});

describe('Redis down at start', () => {
  it('a node with REDIS_URL exits 1 and says why, never runs alone', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        REDIS_URL: 'redis://127.0.0.1:1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(1);
    expect(output).toContain(
      'Pong Arena could not start: Cannot reach Redis at redis://127.0.0.1:1 (REDIS_URL): connect ECONNREFUSED 127.0.0.1:1. ' +
        'Start Redis, or unset REDIS_URL to run one process on its own.',
    );
    expect(output).not.toContain('Pong Arena is running');
  });
});
