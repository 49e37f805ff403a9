// `npm run dev`: the game server reloading on change (tsx watch, port 3001) and the Vite dev server
// (port 5173, which proxies /socket.io and /healthz to the game server). Open the Vite URL.
// SIGINT/SIGTERM, or either child exiting, stops both.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_PORT = '3001';
const VITE_PORT = '5173';
/** How long a child may take to stop after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

const bin = (name) => join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

const children = [
  {
    name: 'server',
    command: bin('tsx'),
    args: ['watch', '--clear-screen=false', 'server/main.ts'],
    env: { PORT: SERVER_PORT, HOST: '127.0.0.1' },
  },
  {
    name: 'vite',
    command: bin('vite'),
    // strictPort: if 5173 is taken, fail loudly instead of serving elsewhere than the URL printed below.
    args: ['--port', VITE_PORT, '--strictPort'],
    env: {},
  },
];

let stopping = false;
let exitCode = 0;
const running = new Set();

/** Signals a child's whole process group (tsx and Vite start processes of their own). */
function signalGroup(child, signal) {
  try {
    process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
  } catch {
    // Already gone.
  }
}

function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  for (const child of running) {
    signalGroup(child, signal);
    setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE_MS).unref();
  }
}

for (const { name, command, args, env } of children) {
  const child = spawn(command, args, {
    cwd: ROOT,
    // No stdin: a child in a background process group that reads the terminal gets stopped (SIGTTIN).
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
    // Its own process group, so stopping it also stops what it started.
    detached: process.platform !== 'win32',
    shell: process.platform === 'win32',
  });
  running.add(child);
  child.on('error', (err) => {
    console.error(`dev: could not start ${name}: ${err.message}`);
    exitCode = 1;
    running.delete(child);
    stopAll('SIGTERM');
  });
  child.on('exit', (code, signal) => {
    running.delete(child);
    if (!stopping) {
      console.error(`dev: ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      exitCode = code || 1;
      stopAll('SIGTERM');
    }
    if (running.size === 0) process.exit(exitCode);
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal));
// Best effort if we die some other way: never leave a server holding the ports.
process.on('exit', () => {
  for (const child of running) signalGroup(child, 'SIGKILL');
});

console.log(
  `\nPong Arena (dev): open http://localhost:${VITE_PORT}/  (game server on http://127.0.0.1:${SERVER_PORT}/)\n`,
);
