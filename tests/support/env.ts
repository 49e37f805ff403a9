import { afterEach, expect } from 'vitest';
import type { BuildOptions } from '../../server/app.ts';
import type { Config } from '../../server/config.ts';
import type { JoinOk, JoinRoomRequest } from '../../shared/protocol/index.ts';
import {
  closeClient,
  connect,
  DEFAULT_WAIT_MS,
  expectJoined,
  waitFor,
  type ClientOptions,
  type GameClient,
} from './client.ts';
import { startServer, type TestServer } from './server.ts';

export interface MatchSetup {
  code: string;
  left: GameClient;
  right: GameClient;
  leftJoin: CreatedRoom;
  rightJoin: JoinOk;
}

/** Servers and clients opened through it are closed after each test, clients first. */
export interface TestEnv {
  startServer(overrides?: Partial<Config>, opts?: BuildOptions): Promise<TestServer>;
  /** A tracked client; see client.ts connect(). */
  connect(server: TestServer, opts?: ClientOptions): GameClient;
  /** A tracked client that has passed the handshake. */
  connected(server: TestServer, opts?: ClientOptions): Promise<GameClient>;
  /** Two connected players in one private room: `left` created it, `right` joined with its code. */
  startMatch(server: TestServer, opts?: ClientOptions): Promise<MatchSetup>;
  /** Runs `fn` at teardown, before the clients and server opened earlier are closed. */
  defer(fn: () => unknown): void;
}

/** Registers the per-test teardown for this file and returns the tracked factories. */
export function useTestEnv(): TestEnv {
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    const failures: unknown[] = [];
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  });

  const env: TestEnv = {
    async startServer(overrides, opts) {
      const server = await startServer(overrides, opts);
      cleanups.push(async () => {
        await server.close();
        // Nothing of the server may outlive the test: no game-loop timer, no socket, no listener.
        expect(server.app.scheduler.running).toBe(false);
        expect(server.app.io.engine.clientsCount).toBe(0);
        expect(server.app.http.server.listening).toBe(false);
      });
      return server;
    },
    connect(server, opts) {
      const client = connect(server.url, opts);
      cleanups.push(() => closeClient(client));
      return client;
    },
    async connected(server, opts) {
      const client = env.connect(server, opts);
      if (!client.connected) await waitFor(client, 'connect');
      return client;
    },
    async startMatch(server, opts) {
      const [left, right] = await Promise.all([env.connected(server, opts), env.connected(server, opts)]);
      const leftJoin = await createRoom(left, 'left');
      const rightJoin = await joinRoom(right, { code: leftJoin.code, nickname: 'right' });
      return { code: leftJoin.code, left, right, leftJoin, rightJoin };
    },
    defer(fn) {
      cleanups.push(fn);
    },
  };
  return env;
}

/** A successful room:create: its creator always learns the room's secret code. */
export type CreatedRoom = JoinOk & { code: string };

/** Creates a private room and asserts success. */
export async function createRoom(client: GameClient, nickname?: string): Promise<CreatedRoom> {
  const created = expectJoined(
    await client.timeout(DEFAULT_WAIT_MS).emitWithAck('room:create', { nickname }),
  );
  if (created.code === null) throw new Error('room:create answered without the room code');
  return { ...created, code: created.code };
}

/** Joins a room by code (and seat token) and asserts success. */
export async function joinRoom(client: GameClient, req: JoinRoomRequest): Promise<JoinOk> {
  return expectJoined(await client.timeout(DEFAULT_WAIT_MS).emitWithAck('room:join', req));
}
