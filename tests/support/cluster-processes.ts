import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { renderHaproxyConfig } from '../../deploy/haproxy-config.mjs';
import { TEST_REDIS_URL } from './redis.ts';
import { makeStoreTarget, type StoreTarget } from './store.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A node started from source (tsx) answers /healthz within this; two cores shared by several runs. */
const NODE_READY_MS = 60_000;
/** HAProxy marks a server up after two passed checks a second apart (deploy/haproxy.cfg.template). */
const BALANCER_READY_MS = 15_000;
const READY_POLL_MS = 100;
/** A node's SIGTERM shutdown takes up to 10 s by design (server/main.ts), then it exits 1. */
const STOP_GRACE_MS = 12_000;

export interface NodeProcess {
  id: string;
  port: number;
  /** http://127.0.0.1:<port>: the node itself, past the balancer. */
  url: string;
  child: ChildProcess;
  /** Its stdout and stderr lines, for failure messages. */
  output: string[];
  /** Resolves with the exit code or signal once the process has gone. */
  exited: Promise<number | NodeJS.Signals | null>;
}

export interface ProcessCluster {
  /** The balancer: http://127.0.0.1:<port>. */
  url: string;
  port: number;
  /** Redis key prefix of this cluster (REDIS_KEY_PREFIX of every node). */
  prefix: string;
  nodes: Map<string, NodeProcess>;
  ids: string[];
  node(id: string): NodeProcess;
  /** Sends `signal` to a node and resolves once it has exited. */
  stop(id: string, signal: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
  /** (Re)starts a node; resolves once it answers /healthz and the balancer routes `?node=<id>` to it. */
  start(id: string): Promise<NodeProcess>;
  /** Every node's and the balancer's output, for a failure message. */
  logs(): string;
  close(): Promise<void>;
}

export interface ProcessClusterOptions {
  nodes?: number;
  /** More environment for every node (POINTS_TO_WIN, RECONNECT_GRACE_MS, …). */
  env?: Record<string, string>;
  /** Run the nodes from the build (dist/server/main.js) instead of source (tsx). */
  fromBuild?: boolean;
}

/** Whether nothing listens on `port` (on any address). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

/** A base port with PORT..PORT+count all free. */
export async function freeBasePort(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: count + 1 }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free ports');
}

/** Polls `check` until it holds; fails after `timeoutMs` (a process start has no event to wait on). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

async function answersAs(url: string, node: string): Promise<boolean> {
  const res = await fetch(url);
  const body = (await res.json()) as { node?: string };
  return res.status === 200 && body.node === node;
}

/** Deletes every key under `prefix` (a test's hash tag). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const admin = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}

/**
 * Real processes, as an operator runs them: `nodes` game servers (node1..nodeN, from source) on one
 * Redis under a fresh key prefix and one throwaway PostgreSQL database, behind HAProxy with the
 * config `npm run cluster` uses (deploy/haproxy-config.mjs), all on free loopback ports. The test
 * may stop (SIGTERM, SIGKILL) and start nodes; close() stops everything and drops the database and keys.
 */
export async function startProcessCluster(opts: ProcessClusterOptions = {}): Promise<ProcessCluster> {
  const count = opts.nodes ?? 3;
  const port = await freeBasePort(count);
  const prefix = `{test-${randomUUID()}}`;
  const tmp = mkdtempSync(join(tmpdir(), 'pong-test-cluster-'));
  let database: StoreTarget | null = null;
  const nodes = new Map<string, NodeProcess>();
  let haproxy: { child: ChildProcess; output: string[]; exited: Promise<unknown> } | null = null;
  const layout = Array.from({ length: count }, (_, i) => ({
    id: `node${i + 1}`,
    host: '127.0.0.1',
    port: port + i + 1,
  }));
  const url = `http://127.0.0.1:${port}`;

  const spawnLogged = (command: string, args: string[], env: Record<string, string>) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => output.push(line));
    }
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ?? code));
      child.once('error', () => resolve(null));
    });
    return { child, output, exited };
  };

  const cluster: ProcessCluster = {
    url,
    port,
    prefix,
    nodes,
    ids: layout.map((n) => n.id),
    node(id) {
      const n = nodes.get(id);
      if (!n) throw new Error(`no node ${id}`);
      return n;
    },
    async stop(id, signal) {
      const n = cluster.node(id);
      n.child.kill(signal);
      return n.exited;
    },
    async start(id) {
      const spec = layout.find((n) => n.id === id);
      if (!spec || !database) throw new Error(`no node ${id}`);
      const running = nodes.get(id);
      if (running && running.child.exitCode === null && running.child.signalCode === null) {
        throw new Error(`${id} is still running`);
      }
      const server = opts.fromBuild ? ['dist/server/main.js'] : ['--import', 'tsx', 'server/main.ts'];
      const proc = spawnLogged(process.execPath, server, {
        PORT: String(spec.port),
        HOST: spec.host,
        NODE_ID: id,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        DATABASE_URL: database.options.databaseUrl as string,
        LOG_LEVEL: 'warn',
        ...opts.env,
      });
      const n: NodeProcess = { id, port: spec.port, url: `http://${spec.host}:${spec.port}`, ...proc };
      nodes.set(id, n);
      let gone = false;
      void n.exited.then(() => (gone = true));
      await until(
        async () => {
          if (gone) throw new Error(`${id} exited:\n${n.output.join('\n')}`);
          return answersAs(`${n.url}/healthz`, id);
        },
        `${id} up`,
        NODE_READY_MS,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n${n.output.join('\n')}`);
      });
      if (haproxy)
        await until(() => answersAs(`${url}/healthz?node=${id}`, id), `${id} balanced`, BALANCER_READY_MS);
      return n;
    },
    logs() {
      const parts = [...nodes.values()].map((n) => `--- ${n.id}\n${n.output.join('\n')}`);
      if (haproxy) parts.push(`--- haproxy\n${haproxy.output.join('\n')}`);
      return parts.join('\n');
    },
    async close() {
      const exits: Promise<unknown>[] = [];
      for (const p of [...nodes.values(), ...(haproxy ? [haproxy] : [])]) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
        p.child.kill('SIGTERM');
        const force = setTimeout(() => p.child.kill('SIGKILL'), STOP_GRACE_MS);
        exits.push(p.exited.finally(() => clearTimeout(force)));
      }
      await Promise.all(exits);
      rmSync(tmp, { recursive: true, force: true });
      await deleteRedisKeys(prefix);
      await database?.cleanup();
    },
  };

  try {
    database = await makeStoreTarget('postgres');
    // One at a time: the first creates the schema (migrations lock anyway) and cores are few.
    for (const { id } of layout) await cluster.start(id);
    const config = join(tmp, 'haproxy.cfg');
    writeFileSync(config, renderHaproxyConfig({ port, bind: '127.0.0.1', nodes: layout }));
    haproxy = spawnLogged('haproxy', ['-db', '-f', config], {});
    for (const { id } of layout) {
      await until(() => answersAs(`${url}/healthz?node=${id}`, id), `${id} balanced`, BALANCER_READY_MS);
    }
  } catch (err) {
    const logs = cluster.logs();
    await cluster.close();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
  return cluster;
}
