import type { AddressInfo } from 'node:net';
import { buildApp, type App, type BuildOptions } from '../../server/app.ts';
import { DEFAULT_CONFIG, type Config } from '../../server/config.ts';
import type { Tickable } from '../../server/rooms/scheduler.ts';

/**
 * Fast, quiet defaults for tests: short countdowns and a two-point match keep a whole game to a
 * few seconds of real time; everything else is the production default unless a test overrides it.
 */
export const TEST_CONFIG: Config = {
  ...DEFAULT_CONFIG,
  port: 0,
  host: '127.0.0.1',
  pointsToWin: 2,
  countdownMs: 200,
  clientDir: null,
  logLevel: 'silent',
};

export interface TestServer {
  app: App;
  config: Config;
  /** http://127.0.0.1:<port>, for socket.io-client and fetch. */
  url: string;
  port: number;
  /** What the game loop steps with no room open (the lobby publisher, say). */
  idleTickables: number;
  close(): Promise<void>;
}

/**
 * Builds the real app and listens on an ephemeral port of the loopback interface. Without a store
 * unless `opts.store` gives one (the app then closes it): most tests need no profiles, and a
 * store costs a worker and a database per server.
 */
export async function startServer(
  overrides: Partial<Config> = {},
  opts: BuildOptions = {},
): Promise<TestServer> {
  const config: Config = { ...TEST_CONFIG, ...overrides };
  const app = await buildApp(config, { store: null, ...opts });
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.http.server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    port,
    idleTickables: app.scheduler.size,
    close: () => (closed ??= app.close()),
  };
}

/**
 * Resolves on the first server tick at which `predicate` holds, checked from inside the game loop
 * itself (a probe registered with the scheduler), so a test waits for server-side state without
 * polling on a timer.
 */
export function waitForServer(
  app: App,
  predicate: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe: Tickable = {
      tick: () => {
        if (!predicate()) return;
        finish();
        resolve();
      },
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting on the server for: ${what}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      app.scheduler.remove(probe);
    };
    app.scheduler.add(probe);
  });
}
