// `npm run cluster`: CLUSTER_NODES (default 3) game nodes on PORT+1..PORT+N behind HAProxy on PORT
// (default 3000), all in the foreground. Each node gets NODE_ID=node<i>, REDIS_URL (default the
// local Redis) and DATABASE_URL (default the local PostgreSQL's `postgres` database: nodes share one
// store, which the embedded PGlite cannot be). Prints the URL to open; on SIGINT/SIGTERM stops every process it started and exits.
// A node that dies is reported and the rest play on (the balancer routes around it); if the balancer
// dies, or every node, everything stops. CLUSTER_FROM_SOURCE=1 runs the nodes from source with tsx
// instead of the build (development and tests).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { clusterNodes, renderHaproxyConfig } from '../deploy/haproxy-config.mjs';
import { reasonToBuild, ROOT } from './build-freshness.mjs';

/** How long the processes may take to stop after SIGTERM before they get SIGKILL. */
const STOP_GRACE_MS = 12_000;
/** How long the balancer may take to answer /healthz from a node after start. */
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 200;

function intFromEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`cluster: ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const port = intFromEnv('PORT', 3000, 1, 65535);
const count = intFromEnv('CLUSTER_NODES', 3, 1, 64);
if (port + count > 65535) {
  console.error(`cluster: PORT ${port} leaves no room for ${count} nodes above it`);
  process.exit(2);
}
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const nodeHost = process.env.CLUSTER_NODE_HOST || '127.0.0.1';
const bind = process.env.HOST || '0.0.0.0';
const fromSource = process.env.CLUSTER_FROM_SOURCE === '1';

/** The database's host and name, never its password. */
function shownDatabase() {
  const url = new URL(databaseUrl);
  return `${url.host}${url.pathname}`;
}

/** Everything started and still running: { name, child }. */
const running = new Map();
let stopping = null;
let tmp = null;

/** Starts a child whose output lines are prefixed with its name. */
function start(name, command, args, env = {}) {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(name, child);
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    createInterface({ input: stream }).on('line', (line) => out.write(`[${name}] ${line}\n`));
  }
  child.on('error', (err) => {
    running.delete(name);
    const hint =
      err.code === 'ENOENT' && name === 'haproxy' ? ' (install it: apt-get install -y haproxy)' : '';
    console.error(`cluster: ${name} could not start: ${err.message}${hint}`);
    void stop(1);
  });
  child.on('exit', (code, signal) => {
    running.delete(name);
    if (stopping) return;
    console.error(`cluster: ${name} exited (${signal ?? `code ${code}`})`);
    const nodesLeft = [...running.keys()].some((n) => n !== 'haproxy');
    if (name === 'haproxy' || !nodesLeft) void stop(1);
  });
  return child;
}

/** Stops every process still running (SIGTERM, then SIGKILL after the grace), then exits. */
function stop(exitCode) {
  stopping ??= (async () => {
    const exits = [...running.values()].map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve),
        ),
    );
    for (const child of running.values()) child.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const [name, child] of running) {
        console.error(`cluster: ${name} did not stop in ${STOP_GRACE_MS} ms, killing it`);
        child.kill('SIGKILL');
      }
    }, STOP_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(force);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    process.exit(exitCode);
  })();
  return stopping;
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** Resolves once `url` answers 200 (or the cluster is stopping); rejects after READY_TIMEOUT_MS. */
async function waitUntilHealthy(url, what) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!stopping) {
    try {
      const res = await globalThis.fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

async function main() {
  if (!fromSource) {
    const reason = reasonToBuild();
    if (reason) {
      console.log(`cluster: building (${reason})`);
      // Not tracked like the others: SIGINT reaches it through the terminal's process group.
      const build = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], {
        cwd: ROOT,
        stdio: 'inherit',
      });
      const ok = await new Promise((resolve) => {
        build.on('error', () => resolve(false));
        build.on('exit', (code) => resolve(code === 0));
      });
      if (stopping) return;
      if (!ok) {
        console.error('cluster: the build failed');
        process.exit(1);
      }
    }
  }

  const nodes = clusterNodes(count, port, nodeHost);
  tmp = mkdtempSync(join(tmpdir(), 'pong-cluster-'));
  const config = join(tmp, 'haproxy.cfg');
  writeFileSync(config, renderHaproxyConfig({ port, bind, nodes }));

  const server = fromSource ? ['--import', 'tsx', 'server/main.ts'] : ['dist/server/main.js'];
  for (const n of nodes) {
    const child = start(n.id, process.execPath, server, {
      PORT: String(n.port),
      HOST: n.host,
      NODE_ID: n.id,
      REDIS_URL: redisUrl,
      DATABASE_URL: databaseUrl,
    });
    console.log(`cluster: ${n.id} pid ${child.pid} on ${n.host}:${n.port}`);
  }
  // The balancer starts once every node answers, so its first health checks find them up.
  await Promise.all(nodes.map((n) => waitUntilHealthy(`http://${n.host}:${n.port}/healthz`, n.id)));
  if (stopping) return;
  const haproxy = start('haproxy', 'haproxy', ['-db', '-f', config]);
  console.log(`cluster: haproxy pid ${haproxy.pid} on ${bind}:${port} (config ${config})`);

  await waitUntilHealthy(`http://127.0.0.1:${port}/healthz`, 'the balancer');
  if (stopping) return;
  const shown = bind === '0.0.0.0' || bind === '::' ? 'localhost' : bind;
  console.log(
    `Pong Arena cluster is running (${count} nodes, Redis ${redisUrl}, PostgreSQL ${shownDatabase()}): open http://${shown}:${port}/`,
  );
}

main().catch((err) => {
  console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});
