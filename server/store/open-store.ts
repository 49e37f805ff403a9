import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OperationArgs, OperationName, OperationResult } from './operations.ts';
import type { WorkerReply, WorkerRequest } from './store-worker.ts';
import type { RecordedMatch, Store, StoreOptions } from './types.ts';

/** A store that does not answer within this time is broken, not busy. */
export const STORE_START_TIMEOUT_MS = 60_000;

/**
 * Starts the store worker and resolves once its database is open and migrated. From source (tsx,
 * vitest) the worker is the .ts file loaded through tsx's loader; from dist/ it is the compiled .js.
 */
function startWorker(opts: StoreOptions): Worker {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  const workerData: StoreOptions = { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl ?? null };
  if (!fromSource) return new Worker(new URL('./store-worker.js', import.meta.url), { workerData });
  // Node 20 cannot load .ts in a worker by itself, and a worker does not inherit the parent's tsx.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./store-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/** Opens the store (PGlite under opts.dataDir, or PostgreSQL at opts.databaseUrl) in a worker thread. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const worker = startWorker(opts);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(m: RecordedMatch) => void>();
  let nextId = 1;
  let broken: Error | null = null;
  let closing: Promise<void> | null = null;

  const fail = (err: Error) => {
    broken ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`store did not start within ${STORE_START_TIMEOUT_MS} ms`));
      void worker.terminate();
    }, STORE_START_TIMEOUT_MS);
    const settle = (err: Error | null) => {
      clearTimeout(timer);
      worker.off('message', onFirst);
      if (err) {
        void worker.terminate();
        reject(err);
      } else resolve();
    };
    const onFirst = (msg: WorkerReply) => {
      if ('ready' in msg) settle(null);
      else if ('failed' in msg) settle(new Error(`store failed to start: ${msg.failed}`));
    };
    worker.on('message', onFirst);
    worker.once('error', (err) => settle(err));
    worker.once('exit', (code) => settle(new Error(`store worker exited with code ${code} while starting`)));
  });

  worker.on('message', (msg: WorkerReply) => {
    if (!('id' in msg)) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(msg.message));
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`store worker exited (code ${code})`)));

  function call<K extends OperationName>(op: K, ...args: OperationArgs<K>): Promise<OperationResult<K>> {
    if (broken) return Promise.reject(broken);
    if (closing) return Promise.reject(new Error('store is closed'));
    const id = nextId++;
    return new Promise<OperationResult<K>>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, args } satisfies WorkerRequest);
    });
  }

  return {
    createProfile: (nickname) => call('createProfile', nickname),
    claimProfile: (id, secret, nickname) => call('claimProfile', id, secret, nickname),
    verifyProfile: (id, secret) => call('verifyProfile', id, secret),
    getProfile: (id) => call('getProfile', id),
    renameProfile: (id, nickname) => call('renameProfile', id, nickname),
    nicknameHistory: (id, limit) => call('nicknameHistory', id, limit),
    async recordMatch(match) {
      const recorded = await call('recordMatch', match);
      for (const listener of listeners) listener(recorded);
      return recorded;
    },
    leaderboard: (limit, callerId) => call('leaderboard', limit, callerId),
    playerPage: (id, page) => call('playerPage', id, page),
    getMatch: (id) => call('getMatch', id),
    onMatchRecorded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing ??= (async () => {
        // Requests already sent are answered before the worker reads the close.
        if (broken) return;
        const closed = new Promise<void>((resolve) => {
          worker.on('message', (msg: WorkerReply) => {
            if ('closed' in msg) resolve();
          });
          worker.once('exit', () => resolve());
        });
        worker.postMessage({ close: true } satisfies WorkerRequest);
        await closed;
        await worker.terminate();
      })();
      return closing;
    },
  };
}
