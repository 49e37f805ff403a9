import { resolve } from 'node:path';
import type { StoreOptions } from './types.ts';

export const DEFAULT_DATA_DIR = './data';

/**
 * The store's settings from the environment: DATABASE_URL selects PostgreSQL, else PGlite keeps its
 * files under DATA_DIR (default ./data). PGlite is one process's database, so a server that shares
 * state with other nodes (REDIS_URL) must have a real PostgreSQL; that is refused here, at start.
 */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StoreOptions {
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (env.REDIS_URL?.trim() && !databaseUrl) {
    throw new Error(
      'REDIS_URL is set (several server nodes) but DATABASE_URL is not: the embedded store (PGlite) ' +
        'belongs to one process, so nodes cannot share it. Set DATABASE_URL=postgres://… for all nodes.',
    );
  }
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql://, got "${databaseUrl}"`);
  }
  return { dataDir: resolve(env.DATA_DIR?.trim() || DEFAULT_DATA_DIR), databaseUrl };
}
