import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../../server/app.ts';
import { DEFAULT_CLIENT_DIR, DEFAULT_CONFIG, type Config } from '../../../server/config.ts';
import { playerRoutes } from '../../../server/http/player-routes.ts';
import { openStore } from '../../../server/store/open-store.ts';
import type { Store } from '../../../server/store/types.ts';
import type { RunningServer } from './game-server.ts';

export interface StoreServer extends RunningServer {
  /** The server's store (PGlite in a temporary DATA_DIR): tests seed it directly. */
  store: Store;
}

/** Client routes served as index.html (the page says "no such …" for an unknown id). */
const PAGE_PATHS = ['/leaderboard', '/players/:id', '/replay/:id'];

/**
 * The real server with a store of its own (PGlite in a fresh temporary DATA_DIR), serving the
 * production client build on a free port.
 *
 * The store goes in as BuildOptions `store`. Until buildApp registers the player API and the page
 * routes itself, they are registered here on the same fastify instance (only where absent, so the
 * same helper works once buildApp does it).
 */
export async function startServerWithStore(overrides: Partial<Config> = {}): Promise<StoreServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pong-e2e-store-'));
  const store = await openStore({ dataDir, databaseUrl: null });
  const options: BuildOptions & { store?: Store | null } = { store };
  const app = await buildApp(
    { ...DEFAULT_CONFIG, logLevel: 'warn', clientDir: DEFAULT_CLIENT_DIR, ...overrides },
    options,
  );
  await registerPlayerPages(app.http, store);
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  const address = app.http.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    store,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function registerPlayerPages(http: FastifyInstance, store: Store): Promise<void> {
  if (!http.hasRoute({ method: 'GET', url: '/api/leaderboard' })) {
    await http.register(playerRoutes, { store });
  }
  for (const url of PAGE_PATHS) {
    if (!http.hasRoute({ method: 'GET', url })) http.get(url, (_req, reply) => reply.sendFile('index.html'));
  }
}
