import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  closeClient,
  connect,
  waitFor,
  waitForSnapshot,
  type ClientOptions,
  type GameClient,
} from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { freePort, withDeadline } from '../support/resilience.ts';

const env = useTestEnv();

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The bound: a stopping server is gone within 10 s. */
const SHUTDOWN_MAX_MS = 10_000;
const START_MAX_MS = 20_000;

interface ServerProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote, for assertions and failure messages. */
  output(): string;
}

/** Starts `server/main.ts` as production does (from source, via tsx) on a free port. */
async function spawnServer(): Promise<ServerProcess> {
  const port = await freePort();
  const clientDir = await mkdtemp(join(tmpdir(), 'pong-shutdown-'));
  env.defer(() => rm(clientDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CLIENT_DIR: clientDir,
      // The embedded store's files, thrown away with the test (never the repository's ./data).
      DATA_DIR: join(clientDir, 'data'),
      POINTS_TO_WIN: '11',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  env.defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let announced: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (announced = resolve));
  const collect = (chunk: string) => {
    out += chunk;
    if (out.includes('Pong Arena is running')) announced();
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const early = exited.then(({ code, signal }) => {
    throw new Error(`server exited before listening (code ${code}, signal ${signal}):\n${out}`);
  });
  await withDeadline(Promise.race([ready, early]), START_MAX_MS, () => `server did not start:\n${out}`);
  void early.catch(() => undefined);
  return { url: `http://127.0.0.1:${port}`, child, exited, output: () => out };
}

/** A client of the spawned server, closed at teardown. */
async function client(url: string, opts: ClientOptions = {}): Promise<GameClient> {
  const c = connect(url, opts);
  env.defer(() => closeClient(c));
  if (!c.connected) await waitFor(c, 'connect');
  return c;
}

/** Resolves with the exit, or rejects once `ms` have passed since the signal. */
const exitWithin = (server: ServerProcess, ms: number) =>
  withDeadline(server.exited, ms, () => `server still running after the signal:\n${server.output()}`);

/** pino's JSON lines at error level or above. */
function errorLogs(output: string): string[] {
  return output.split('\n').filter((line) => {
    if (!line.startsWith('{')) return false;
    try {
      return (JSON.parse(line) as { level?: number }).level! >= 50;
    } catch {
      return false;
    }
  });
}

describe('closing the app', () => {
  it('a long-polling client gets the restart notice too (a forced close used to discard it)', async () => {
    const server = await env.startServer();
    const polling = await env.connected(server, { transports: ['polling'], upgrade: false });
    const websocket = await env.connected(server);
    const clients = [polling, websocket];
    const notices = clients.map((c) => waitFor(c, 'server:restarting'));
    const goodbyes = clients.map((c) => waitFor(c, 'disconnect'));
    await server.close();
    for (const [notice] of await Promise.all(notices)) expect(notice).toEqual({ inMs: 0 });
    for (const [reason] of await Promise.all(goodbyes)) expect(reason).toBe('io server disconnect');
  });
});

describe('graceful shutdown of a real server process', () => {
  it('SIGTERM: every client hears server:restarting and is let go; the process exits 0 within 10 s', async () => {
    const server = await spawnServer();
    const left = await client(server.url);
    const right = await client(server.url, { transports: ['polling'], upgrade: false });
    const { code } = await createRoom(left, 'left');
    await joinRoom(right, { code, nickname: 'right' });
    const spectator = await client(server.url);
    expect((await joinRoom(spectator, { code })).role).toBe('spectator');
    const lobby = await client(server.url);
    await lobby.timeout(5_000).emitWithAck('lobby:subscribe');
    // Live players keep sending their (idle) intents, or the link watch would pause the match.
    const bots = [new PlayerBot(left).start(), new PlayerBot(right).start()];
    await waitForSnapshot(left, (s) => s.phase === 'playing');
    for (const bot of bots) bot.stop();

    const everyone = [left, right, spectator, lobby];
    const notices = everyone.map((c) => waitFor(c, 'server:restarting'));
    const goodbyes = everyone.map((c) => waitFor(c, 'disconnect'));
    expect(server.child.kill('SIGTERM')).toBe(true);

    for (const [notice] of await Promise.all(notices)) expect(notice).toEqual({ inMs: 0 });
    for (const [reason] of await Promise.all(goodbyes)) expect(reason).toBe('io server disconnect');
    expect(await exitWithin(server, SHUTDOWN_MAX_MS)).toEqual({ code: 0, signal: null });
    expect(errorLogs(server.output())).toEqual([]);
    // The port is released: nobody is listening any more.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('SIGINT (Ctrl-C) stops an idle server the same way', async () => {
    const server = await spawnServer();
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', rooms: 0 });
    expect(server.child.kill('SIGINT')).toBe(true);
    expect(await exitWithin(server, SHUTDOWN_MAX_MS)).toEqual({ code: 0, signal: null });
    expect(errorLogs(server.output())).toEqual([]);
  });
});
