import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../../server/config.ts';
import { openStore } from '../../../server/store/open-store.ts';
import type { Store } from '../../../server/store/types.ts';
import { startGameServer, type RunningServer } from './game-server.ts';

export interface StoreServer extends RunningServer {
  /** The server's store (PGlite in a temporary DATA_DIR): tests seed it directly. */
  store: Store;
}

/**
 * The real server with a store of its own (PGlite in a fresh temporary DATA_DIR), serving the
 * production client build on a free port; the app closes the store, the folder goes after it.
 */
export async function startServerWithStore(overrides: Partial<Config> = {}): Promise<StoreServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pong-e2e-store-'));
  const store = await openStore({ dataDir, databaseUrl: null });
  const server = await startGameServer(overrides, { store });
  return {
    ...server,
    store,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
