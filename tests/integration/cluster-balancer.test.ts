import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterNodes, renderHaproxyConfig } from '../../deploy/haproxy-config.mjs';
import { closeClient, connected, roundTrip } from '../support/client.ts';
import { eventually } from '../support/redis.ts';
import { makeStoreTarget, type StoreTarget } from '../support/store.ts';

const NODES = 3;

/** Whether nothing listens on `port` (on any address). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

/** A base port with PORT..PORT+NODES all free. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: NODES + 1 }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free ports');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Cluster {
  child: ChildProcess;
  port: number;
  pids: Map<string, number>;
  configPath: string;
  output: string[];
}

/** `npm run cluster`, from source, on free ports; resolves once it prints its URL. */
async function startCluster(databaseUrl: string): Promise<Cluster> {
  const port = await freeBasePort();
  const child = spawn(process.execPath, ['scripts/cluster.mjs'], {
    env: {
      ...process.env,
      PORT: String(port),
      CLUSTER_NODES: String(NODES),
      CLUSTER_FROM_SOURCE: '1',
      LOG_LEVEL: 'warn',
      // The nodes share one store: a throwaway database of the test PostgreSQL.
      DATABASE_URL: databaseUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cluster: Cluster = { child, port, pids: new Map(), configPath: '', output: [] };
  createInterface({ input: child.stderr! }).on('line', (line) => cluster.output.push(line));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`cluster exited (${code}):\n${cluster.output.join('\n')}`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      cluster.output.push(line);
      const started = /^cluster: (\S+) pid (\d+) on .*?(?:\(config (.*)\))?$/.exec(line);
      if (started?.[1] && started[2]) cluster.pids.set(started[1], Number(started[2]));
      if (started?.[3]) cluster.configPath = started[3];
      if (line.startsWith('Pong Arena cluster is running')) resolve();
    });
  });
  return cluster;
}

async function get(cluster: Cluster, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${cluster.port}${path}`, { headers });
  await res.text();
  return { status: res.status, node: res.headers.get('x-pong-node'), cookie: res.headers.get('set-cookie') };
}

describe('npm run cluster: 3 nodes behind HAProxy', () => {
  let cluster: Cluster;
  let database: StoreTarget;

  beforeAll(async () => {
    database = await makeStoreTarget('postgres');
    cluster = await startCluster(database.options.databaseUrl as string);
  }, 90_000);

  afterAll(async () => {
    // Only when a test failed before the SIGTERM test: leave nothing behind.
    if (cluster && cluster.child.exitCode === null) cluster.child.kill('SIGKILL');
    for (const pid of cluster?.pids.values() ?? []) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await database?.cleanup();
  });

  it('serves /healthz through the balancer, routes ?node= to that node and sticks by cookie', async () => {
    expect([...cluster.pids.keys()].sort()).toEqual(['haproxy', 'node1', 'node2', 'node3']);
    for (const id of ['node1', 'node2', 'node3']) {
      for (let i = 0; i < 3; i += 1) {
        const res = await get(cluster, `/healthz?node=${id}`);
        expect([res.status, res.node]).toEqual([200, id]);
      }
    }
    // Without a cookie or a node parameter, requests are spread over the nodes.
    const seen = new Set<string | null>();
    for (let i = 0; i < 9; i += 1) seen.add((await get(cluster, '/healthz')).node);
    expect(seen.size).toBeGreaterThan(1);
    // The cookie from the first answer brings every later request back to the same node...
    const first = await get(cluster, '/healthz');
    const cookie = first.cookie?.split(';')[0] ?? '';
    expect(cookie).toBe(`PONG_NODE=${first.node}`);
    for (let i = 0; i < 6; i += 1) expect((await get(cluster, '/healthz', { cookie })).node).toBe(first.node);
    // ...and an explicit node parameter wins over it (the owner of a room is where its members go).
    const other = first.node === 'node1' ? 'node2' : 'node1';
    expect((await get(cluster, `/healthz?node=${other}`, { cookie })).node).toBe(other);
  });

  it('keeps HTTP long-polling sessions on the node that opened them (sticky by cookie)', async () => {
    const url = `http://127.0.0.1:${cluster.port}`;
    const clients = await Promise.all(
      Array.from({ length: 6 }, () => connected(url, { transports: ['polling'], withCredentials: true })),
    );
    try {
      // Each round trip is a polling request after the handshake: on another node it would be
      // "Session ID unknown" and the socket would drop.
      for (let round = 0; round < 3; round += 1) await Promise.all(clients.map((c) => roundTrip(c)));
      expect(clients.every((c) => c.connected && c.io.engine.transport.name === 'polling')).toBe(true);
    } finally {
      for (const c of clients) closeClient(c);
    }
  });

  it('takes a dead node out of rotation: its ?node= requests go to a live node', async () => {
    const pid = cluster.pids.get('node3');
    if (!pid) throw new Error('no node3');
    process.kill(pid, 'SIGKILL');
    // Until its health checks fail, a request may still be sent to it and fail: that is "not yet".
    await eventually(
      async () => {
        const res = await get(cluster, '/healthz?node=node3').catch(() => null);
        return res?.status === 200 && res.node !== 'node3';
      },
      'node3 taken out',
      10_000,
    );
    // From then on every such request is served.
    for (let i = 0; i < 5; i += 1) expect((await get(cluster, '/healthz?node=node3')).status).toBe(200);
    // The cluster carries on with the others.
    expect(cluster.child.exitCode).toBeNull();
    expect((await get(cluster, '/healthz?node=node1')).node).toBe('node1');
  });

  it('on SIGTERM stops every process it started, removes its config, and exits 0', async () => {
    expect(existsSync(cluster.configPath)).toBe(true);
    const exited = new Promise<number | null>((resolve) =>
      cluster.child.once('exit', (code) => resolve(code)),
    );
    cluster.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const [name, pid] of cluster.pids)
      expect(alive(pid), `${name} (pid ${pid}) still running`).toBe(false);
    expect(existsSync(cluster.configPath)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${cluster.port}/healthz`)).rejects.toThrow();
  });
});

describe('deploy/haproxy.cfg', () => {
  it('is the template rendered for the default cluster (3 nodes on 3001-3003 behind 3000)', () => {
    const committed = readFileSync(new URL('../../deploy/haproxy.cfg', import.meta.url), 'utf8');
    const rendered = renderHaproxyConfig({ port: 3000, nodes: clusterNodes(3, 3000) });
    expect(committed.split('\n').slice(2).join('\n')).toBe(rendered);
  });
});
