import { buildApp } from './app.ts';
import { openCluster } from './cluster/cluster.ts';
import { loadConfig } from './config.ts';
import { storeOptionsFromEnv } from './store/config.ts';
import { openStore } from './store/open-store.ts';
import type { StoreOptions } from './store/types.ts';

/** Where the data lives, for the start-up line: never a password. */
function describeStore(opts: StoreOptions): string {
  if (!opts.databaseUrl) return `PGlite in ${opts.dataDir}`;
  const url = new URL(opts.databaseUrl);
  return `PostgreSQL at ${url.host}${url.pathname}`;
}

/** Listens, prints the URL to open, and shuts down cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Checked before anything starts: REDIS_URL without DATABASE_URL is refused here.
  const storeOptions = storeOptionsFromEnv(process.env);
  // Several nodes share the arena through Redis; without REDIS_URL this process is the arena.
  const cluster = config.redisUrl
    ? await openCluster({
        redisUrl: config.redisUrl,
        nodeId: config.nodeId,
        keyPrefix: config.redisKeyPrefix,
        info: { port: config.port },
        onError: (err) =>
          console.error(`redis (${config.nodeId}):`, err instanceof Error ? err.message : err),
      })
    : undefined;
  const store = await openStore(storeOptions);
  const app = await buildApp(config, { store, cluster });
  await app.http.listen({ port: config.port, host: config.host });
  const address = app.http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  console.log(`Data (profiles, ratings, replays): ${describeStore(storeOptions)}`);
  console.log(`Pong Arena is running: open http://${shown}:${port}/`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.http.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.http.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // A configuration mistake reads best as its message alone.
  console.error(`Pong Arena could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
