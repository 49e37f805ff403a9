// `server/main.ts` and its store: started with nothing but Node it keeps its data in PGlite under
// DATA_DIR (created on first start) and says where; with REDIS_URL (several nodes) it needs
// DATABASE_URL and refuses to start without one, saying why.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, withDeadline } from '../support/resilience.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx compiles on start and PGlite runs initdb in a fresh DATA_DIR: a few seconds on a busy machine. */
const START_MAX_MS = 30_000;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

/** Runs `server/main.ts` from source with `env` on top of ours (minus any store settings of ours). */
function run(env: Record<string, string>) {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.REDIS_URL;
  delete base.DATA_DIR;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...base, HOST: '127.0.0.1', LOG_LEVEL: 'warn', CLIENT_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: string) => {
    out += chunk;
    for (const l of listeners) l();
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  /** Resolves once the output contains `text`. */
  const printed = (text: string) =>
    withDeadline(
      new Promise<void>((resolve) => {
        const check = () => {
          if (!out.includes(text)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      }),
      START_MAX_MS,
      () => `never printed "${text}":\n${out}`,
    );
  return { child, exited, printed, output: () => out };
}

describe('starting the server', () => {
  it('with nothing configured: PGlite under DATA_DIR, created on first start, and it says where', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'pong-start-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const dataDir = join(parent, 'not', 'yet', 'there');
    const server = run({ PORT: String(await freePort()), DATA_DIR: dataDir });
    await server.printed('Pong Arena is running');
    // Said before the ready line, which is the last thing start-up prints.
    expect(server.output()).toContain(`Data (profiles, ratings, replays): PGlite in ${dataDir}`);
    expect(existsSync(dataDir)).toBe(true);
    server.child.kill('SIGTERM');
    expect(await withDeadline(server.exited, 10_000, server.output)).toEqual({ code: 0, signal: null });
  });

  it('with REDIS_URL but no DATABASE_URL: refuses to start, naming DATABASE_URL', async () => {
    const server = run({ PORT: String(await freePort()), REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(await withDeadline(server.exited, START_MAX_MS, server.output)).toEqual({ code: 1, signal: null });
    expect(server.output()).toMatch(/^Pong Arena could not start: REDIS_URL is set .*DATABASE_URL/m);
    expect(server.output()).not.toContain('Pong Arena is running');
  });
});
