import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { openStore } from '../../server/store/open-store.ts';
import type { Store } from '../../server/store/types.ts';
import { BACKENDS, makeStoreTarget, matchRecord, type StoreTarget } from '../support/store.ts';

const WRITER = fileURLToPath(new URL('../support/store-writer.ts', import.meta.url));
/** Acknowledged writes to wait for before the kill: enough that the kill lands mid-stream. */
const ACKS_BEFORE_KILL = 40;

describe.each(BACKENDS)('store durability on %s', (backend) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  async function target(): Promise<StoreTarget> {
    const t = await makeStoreTarget(backend);
    cleanups.push(() => t.cleanup());
    return t;
  }
  async function open(t: StoreTarget): Promise<Store> {
    const store = await openStore(t.options);
    cleanups.push(() => store.close());
    return store;
  }

  it('migrates up, down to nothing and up again', async () => {
    const t = await target();
    const { db, close } = await openDatabase(t.options);
    cleanups.push(close);
    const tables = async () =>
      (
        await sql<{ table_name: string }>`
          select table_name from information_schema.tables
          where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(db)
      ).rows.map((r) => r.table_name);

    const up = await migrate(db, 'latest');
    expect(up.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual(
      Object.keys(MIGRATIONS).map((name) => [name, 'Up', 'Success']),
    );
    expect(await tables()).toEqual(['match_players', 'matches', 'nickname_history', 'profiles', 'replays']);
    expect((await migrate(db, 'latest')).results).toEqual([]);

    const down = await migrate(db, 'none');
    expect(down.results?.map((r) => r.direction)).toEqual(Object.keys(MIGRATIONS).map(() => 'Down'));
    expect(await tables()).toEqual([]);

    await migrate(db, 'latest');
    expect(await tables()).toHaveLength(5);
  });

  it('keeps profiles, ratings, history and replays across a restart on the same data', async () => {
    const t = await target();
    const first = await openStore(t.options);
    const a = await first.createProfile('Keeper');
    const b = (await first.createProfile('Other')).profile;
    const match = matchRecord(a.profile.id, b.id);
    const recorded = await first.recordMatch(match);
    await first.close();

    const second = await open(t);
    expect(await second.verifyProfile(a.profile.id, a.secret)).toMatchObject({
      rating: recorded.ratings[0]?.after,
      matches: 1,
      wins: 1,
    });
    expect((await second.playerPage(b.id))?.history.map((h) => h.matchId)).toEqual([match.id]);
    expect((await second.leaderboard(10)).players.map((p) => p.id)).toEqual([a.profile.id, b.id]);
    expect((await second.getMatch(match.id))?.log).toEqual(match.log);
    expect((await second.recordMatch(match)).duplicate).toBe(true);
  });

  it('loses no acknowledged match when the writing process is killed with SIGKILL', async () => {
    const t = await target();
    const setup = await openStore(t.options);
    const left = (await setup.createProfile('L')).profile.id;
    const right = (await setup.createProfile('R')).profile.id;
    await setup.close();

    const prefix = 'kill9match';
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, left, right, prefix], {
      env: { ...process.env, STORE_OPTIONS: JSON.stringify(t.options) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const acked: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      if (!line.startsWith('ack ')) continue;
      acked.push(line.slice(4));
      if (acked.length === ACKS_BEFORE_KILL) {
        child.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(acked).toHaveLength(ACKS_BEFORE_KILL);

    const store = await open(t);
    for (const id of acked) expect(await store.getMatch(id), id).not.toBeNull();
    // All or nothing: the profiles count exactly the matches that exist (acked, plus at most the
    // ones committed before their ack was printed).
    let present = 0;
    for (let i = 0; i < ACKS_BEFORE_KILL + 50; i += 1) {
      if (await store.getMatch(`${prefix}${String(i).padStart(6, '0')}`)) present += 1;
    }
    expect(present).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    expect((await store.getProfile(left))?.matches).toBe(present);
    expect((await store.getProfile(right))?.matches).toBe(present);
    expect((await store.playerPage(left, { limit: 100 }))?.history).toHaveLength(present);
  });
});

describe('embedded store lock', () => {
  it('refuses a second store on the same DATA_DIR while the first is open, and allows it after', async () => {
    const t = await makeStoreTarget('pglite');
    try {
      const first = await openStore(t.options);
      await expect(openStore(t.options)).rejects.toThrow(/in use by process/);
      await first.close();
      const second = await openStore(t.options);
      await second.close();
    } finally {
      await t.cleanup();
    }
  });
});
