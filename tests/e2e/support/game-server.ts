import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, type App, type BuildOptions } from '../../../server/app.ts';
import { DEFAULT_CLIENT_DIR, DEFAULT_CONFIG, type Config } from '../../../server/config.ts';

export interface RunningServer {
  url: string;
  app: App;
  close(): Promise<void>;
}

/** The real server (fastify + socket.io) serving the production client build on a free port. */
/** Without a store unless `opts.store` gives one (closed with the server). */
export async function startGameServer(
  overrides: Partial<Config> = {},
  opts: BuildOptions = {},
): Promise<RunningServer> {
  if (!existsSync(join(DEFAULT_CLIENT_DIR, 'index.html'))) {
    throw new Error(`No client build in ${DEFAULT_CLIENT_DIR}: run \`npm run build\` first (npm test does).`);
  }
  const app = await buildApp(
    {
      ...DEFAULT_CONFIG,
      logLevel: 'warn',
      clientDir: DEFAULT_CLIENT_DIR,
      ...overrides,
    },
    { store: null, ...opts },
  );
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  const address = app.http.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no address');
  return { url: `http://127.0.0.1:${address.port}`, app, close: () => app.close() };
}
