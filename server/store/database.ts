import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, NO_MIGRATIONS, PostgresDialect, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations.ts';
import type { Db } from './operations.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { StoreOptions } from './types.ts';

/** Connections to a real PostgreSQL per process: the worker runs a handful of short transactions. */
export const PG_POOL_MAX = 8;

export type Backend = 'pglite' | 'postgres';

export const LOCK_FILE = 'pong-store.lock';

export interface OpenDatabase {
  db: Db;
  backend: Backend;
  /** Closes the database and lets another process open the same DATA_DIR. */
  close(): Promise<void>;
}

/** A Kysely instance over PGlite (files under dataDir, created if missing) or PostgreSQL. */
export async function openDatabase(opts: StoreOptions): Promise<OpenDatabase> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: PG_POOL_MAX });
    const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    return { db, backend: 'postgres', close: () => db.destroy() };
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const unlock = lockDataDir(opts.dataDir);
  try {
    const pglite = new PGlite(opts.dataDir);
    await pglite.waitReady;
    const db: Db = new Kysely({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      backend: 'pglite',
      close: async () => {
        await db.destroy();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

/**
 * PGlite has no postmaster to stop a second process from opening the same files, and two would
 * corrupt them. A lock file holds the owner's pid; a lock whose process is gone (killed with
 * SIGKILL, say) is taken over, since PostgreSQL recovers the files from its WAL on open.
 */
function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new Error(`DATA_DIR ${dataDir} is in use by process ${owner}; one server per DATA_DIR`, {
          cause: err,
        });
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock DATA_DIR ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs migrations up to the latest (the default) or down to none; throws with the failing step. */
export async function migrate(db: Db, target: 'latest' | 'none' = 'latest'): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const result =
    target === 'latest' ? await migrator.migrateToLatest() : await migrator.migrateTo(NO_MIGRATIONS);
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`store migration ${failed} failed: ${String(result.error)}`, { cause: result.error });
  }
  return result;
}
