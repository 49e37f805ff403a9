/**
 * A child process for the kill -9 test: opens the store named by STORE_OPTIONS (JSON), records
 * rated matches between the two profiles given in argv one after another, and prints
 * `ack <matchId>` as soon as each recordMatch has resolved. It never stops by itself before
 * MAX_WRITES; the test kills it with SIGKILL mid-stream.
 */
import { openStore } from '../../server/store/open-store.ts';
import type { StoreOptions } from '../../server/store/types.ts';
import { matchRecord } from './store.ts';

const MAX_WRITES = 100_000;
const options = JSON.parse(process.env.STORE_OPTIONS ?? '{}') as StoreOptions;
const [left, right, prefix] = process.argv.slice(2);
const store = await openStore(options);
process.stdout.write('ready\n');
for (let i = 0; i < MAX_WRITES; i += 1) {
  const id = `${prefix}${String(i).padStart(6, '0')}`;
  await store.recordMatch(
    matchRecord(left ?? null, right ?? null, {
      id,
      winner: i % 3 === 0 ? 1 : 0,
      endedAtMs: Date.UTC(2026, 5, 1) + i,
    }),
  );
  process.stdout.write(`ack ${id}\n`);
}
await store.close();
