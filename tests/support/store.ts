import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newMatchId } from '../../server/store/ids.ts';
import type { MatchRecord, StoreOptions } from '../../server/store/types.ts';
import { InputRecorder } from '../../shared/replay/input-log.ts';
import { encodeInputLog } from '../../shared/replay/log-codec.ts';

/** The same store suites run on both backends. */
export const BACKENDS = ['pglite', 'postgres'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The PostgreSQL server tests use (CI starts it: trust auth on 127.0.0.1:5432, user postgres). */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface StoreTarget {
  options: StoreOptions;
  backend: BackendName;
  /** Deletes the temp DATA_DIR or drops the throwaway database. */
  cleanup(): Promise<void>;
}

/**
 * A fresh, empty place for a store: a temp DATA_DIR for PGlite, or a throwaway database
 * `pong_test_<random>` on the test PostgreSQL server.
 */
export async function makeStoreTarget(backend: BackendName): Promise<StoreTarget> {
  if (backend === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'pong-store-'));
    return {
      backend,
      options: { dataDir, databaseUrl: null },
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `pong_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    backend,
    options: { dataDir: '/nonexistent', databaseUrl: url.href },
    cleanup: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A small valid replay log: `steps` steps of fixed intents. */
export function sampleLog(steps = 120): Uint8Array {
  const recorder = new InputRecorder();
  for (let i = 0; i < steps; i += 1) recorder.record(i % 30 < 15 ? 1 : -1, 0);
  return encodeInputLog(recorder.log());
}

/** A finished rated match between two profiles, left winning 11:`loserScore` unless told otherwise. */
export function matchRecord(
  left: string | null,
  right: string | null,
  overrides: Partial<MatchRecord> = {},
): MatchRecord {
  const endedAtMs = overrides.endedAtMs ?? Date.UTC(2026, 0, 1, 12, 0, 0);
  return {
    id: newMatchId(),
    rated: true,
    players: [
      { profileId: left, nickname: 'Lefty' },
      { profileId: right, nickname: 'Righty' },
    ],
    scores: [11, 4],
    winner: 0,
    forfeit: null,
    startedAtMs: endedAtMs - 90_000,
    endedAtMs,
    seed: 123456789,
    rules: { tickHz: 60, pointsToWin: 11, countdownMs: 1000 },
    log: sampleLog(),
    ...overrides,
  };
}
