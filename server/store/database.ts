import { mkdirSync } from 'node:fs';
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

/** A Kysely instance over PGlite (files under dataDir, created if missing) or PostgreSQL. */
export async function openDatabase(opts: StoreOptions): Promise<{ db: Db; backend: Backend }> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: PG_POOL_MAX });
    const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    return { db, backend: 'postgres' };
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const pglite = new PGlite(opts.dataDir);
  await pglite.waitReady;
  const db: Db = new Kysely({ dialect: new PGliteDialect(pglite) });
  return { db, backend: 'pglite' };
}

/** Runs migrations up to the latest (the default) or down to none; throws with the failing step. */
export async function migrate(db: Db, target: 'latest' | 'none' = 'latest'): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const result = target === 'latest' ? await migrator.migrateToLatest() : await migrator.migrateTo(NO_MIGRATIONS);
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`store migration ${failed} failed: ${String(result.error)}`, { cause: result.error });
  }
  return result;
}
