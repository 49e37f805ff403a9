import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { migrate, openDatabase, type OpenDatabase } from './database.ts';
import { operations, type Db, type OperationName } from './operations.ts';
import type { StoreOptions } from './types.ts';

/**
 * The store's thread. PGlite runs PostgreSQL compiled to WASM on whichever thread calls it, and a
 * query holds that thread until it is done; here it holds this worker, never the game loop. The
 * main thread (open-store.ts) sends named operations, this thread runs them and answers:
 *
 *   main → worker  { id, op, args }            worker → main  { id, ok: true, value }
 *                  { close: true }                             { id, ok: false, message }
 *                                                              { ready: true } | { failed: message }
 *                                                              { closed: true }
 */
export type WorkerRequest = { id: number; op: OperationName; args: unknown[] } | { close: true };
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string }
  | { ready: true; backend: string }
  | { failed: string }
  | { closed: true };

function workerPort(): MessagePort {
  if (!parentPort) throw new Error('store-worker.ts runs as a worker thread');
  return parentPort;
}
const port = workerPort();
const post = (reply: WorkerReply) => port.postMessage(reply);

async function main(): Promise<void> {
  let opened: OpenDatabase | null = null;
  try {
    opened = await openDatabase(workerData as StoreOptions);
    await migrate(opened.db);
    post({ ready: true, backend: opened.backend });
  } catch (err) {
    await opened?.close().catch(() => undefined);
    post({ failed: err instanceof Error ? err.message : String(err) });
    return;
  }
  const { db, close } = opened;
  port.on('message', (req: WorkerRequest) => {
    if ('close' in req) {
      void close().finally(() => {
        post({ closed: true });
        port.close();
      });
      return;
    }
    const run = operations[req.op] as (db: Db, ...args: unknown[]) => Promise<unknown>;
    run(db, ...req.args).then(
      (value) => post({ id: req.id, ok: true, value }),
      (err: unknown) =>
        post({ id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

void main();
