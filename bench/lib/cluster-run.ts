/**
 * `npm run bench -- --nodes N`: the same load as the main bench (R rooms × 2 players + 1
 * spectator, 20 inputs/s per player), once against one node on its own (no Redis: the default
 * deployment), once through HAProxy against N nodes on Redis, each room's three clients on one
 * node chosen round-robin up front (`?node=`, which HAProxy routes on), and once against the same
 * N processes behind the same HAProxy without Redis. Compares server CPU per room-second, summed
 * over every node process, with the single node's: the cost of scaling out. The third run splits
 * that cost. With a CPU per node plus one for the load, each node has its own (cpu-layout.ts);
 * with two CPUs, as on this project's machines, all N nodes share one core (the other runs the
 * load), and N processes time-sharing a core cost more per room than one, with or without Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { renderHaproxyConfig } from '../../deploy/haproxy-config.mjs';
import { DEFAULT_SNAPSHOT_HZ, DEFAULT_TICK_HZ } from '../../shared/constants.ts';
import { READY_LINE, READY_TIMEOUT_MS, SERVER_ENTRY, benchServerEnv } from './bench-server.ts';
import { spawnPinned, stopChild, waitForLine, waitForMessage } from './children.ts';
import { describeCpuLayout, type ClusterCpuLayout } from './cpu-layout.ts';
import { joinedLoadGen } from './load-gen-control.ts';
import type { LoadGenWindowStats } from './messages.ts';
import { processContextSwitches, processCpuMs, processRssKib } from './proc-cpu.ts';
import { mean, round } from './stats.ts';

const BALANCER_READY_MS = 15_000;
/** The issue's target: N nodes' summed CPU per room-second within this of one node's, at R = 200. */
export const TARGET_CLUSTER_CPU_RATIO = 1.15;
export const TARGET_CLUSTER_ROOMS = 200;

export interface ClusterBenchOptions {
  root: string;
  rooms: number[];
  nodes: number;
  seconds: number;
  warmupS: number;
  passes: number;
  out: string;
  /** Each node's CPU and the load generator's (HAProxy shares the generator's). */
  cpus: ClusterCpuLayout;
  redisUrl: string;
  databaseUrl: string;
  /** `--profile`: every node runs under `node --cpu-prof`, a folder per run under this one. */
  profileDir: string | null;
}

export interface Run {
  /**
   * single: one node, no Redis. cluster: N nodes on Redis behind HAProxy. colocated: the same N
   * processes behind the same HAProxy without Redis (each its own PGlite): what running N processes
   * costs by itself, with no shared state (on a shared core, mostly the time-sharing).
   */
  mode: 'single' | 'cluster' | 'colocated';
  rooms: number;
  pass: number;
  windowS: number;
  /** CPU of every node process over the window, summed. */
  cpuMs: number;
  cpuMsPerRoomSec: number;
  /** Each node's share of one core over the window, %. */
  nodeCpuPct: number[];
  /**
   * Times a second the nodes' main threads went to sleep and woke again (voluntary context
   * switches), and were preempted (involuntary), summed over the nodes: processes sharing one core
   * each wake for their own ticks and their own share of every input burst, and a wake-up on a
   * core another process just used starts with cold caches.
   */
  wakeupsPerSec: number;
  preemptionsPerSec: number;
  /** Rooms each node ran (its /healthz), read before the window: the spread the balancer gave. */
  roomsPerNode: number[];
  /** RSS of every node process at the window's end, summed. */
  rssMib: number;
  bytesPerClientSec: number;
  loadGenCpuPct: number;
  trusted: boolean;
  problems: string[];
}

/** One R of the report (`results` in cluster-latest.json). */
export interface ClusterRoomsResult {
  rooms: number;
  single: Run[];
  cluster: Run[];
  colocated: Run[];
  singleCpuMsPerRoomSec: number;
  clusterCpuMsPerRoomSec: number;
  colocatedCpuMsPerRoomSec: number;
  /** The target: N nodes on Redis against one node. */
  cpuRatio: number;
  /** N nodes on Redis against the same N processes without it: what the shared state costs. */
  redisRatio: number;
}

interface Proc {
  id: string;
  child: ChildProcess;
  pid: number;
  port: number;
  lines: string[];
}

function r(value: number, digits = 3): number {
  return round(value, digits) ?? Number.NaN;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function startNode(
  opts: ClusterBenchOptions,
  id: string,
  env: Record<string, string>,
  profileDir: string | null,
  cpu: number | null,
): Promise<Proc> {
  // A folder per node: the main thread's profile is CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile.
  const profile = profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, id)}`];
  const child = spawnPinned(cpu, process.execPath, [...profile, SERVER_ENTRY], {
    cwd: opts.root,
    env: benchServerEnv({ NODE_ID: id, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 20) lines.shift();
  };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => chunk.split('\n').forEach(keep));
  try {
    const port = Number((await waitForLine(child, READY_LINE, READY_TIMEOUT_MS, keep))[1]);
    return { id, child, pid: child.pid as number, port, lines };
  } catch (err) {
    throw new Error(`${id}: ${(err as Error).message}\n  ${lines.join('\n  ')}`, { cause: err });
  }
}

async function routesTo(url: string, node: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    return res.status === 200 && ((await res.json()) as { node?: string }).node === node;
  } catch {
    return false;
  }
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

/** One window of load against one node (single) or N nodes through HAProxy (cluster). */
async function runOnce(
  opts: ClusterBenchOptions,
  mode: Run['mode'],
  rooms: number,
  pass: number,
): Promise<Run> {
  const label = {
    single: '1 node',
    cluster: `${opts.nodes} nodes`,
    colocated: `${opts.nodes} nodes, no Redis`,
  }[mode];
  const tag = `[${label} R=${rooms} pass ${pass}/${opts.passes}]`;
  const procs: Proc[] = [];
  const others: ChildProcess[] = [];
  const prefix = `{bench-${randomBytes(6).toString('hex')}}`;
  const tmp = mkdtempSync(join(tmpdir(), 'pong-bench-cluster-'));
  const profileDir =
    opts.profileDir === null ? null : join(opts.profileDir, `${mode}-R${rooms}-pass${pass}-${Date.now()}`);
  if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
  try {
    let url: string;
    let nodeIds: string[] = [];
    if (mode === 'single') {
      // One node as deployed by default: no Redis, its own PGlite.
      const node = await startNode(
        opts,
        'node1',
        { DATA_DIR: join(tmp, 'data') },
        profileDir,
        opts.cpus.nodes[0] ?? null,
      );
      procs.push(node);
      url = `http://127.0.0.1:${node.port}`;
    } else {
      nodeIds = Array.from({ length: opts.nodes }, (_, i) => `node${i + 1}`);
      const shared = { REDIS_URL: opts.redisUrl, REDIS_KEY_PREFIX: prefix, DATABASE_URL: opts.databaseUrl };
      for (const [i, id] of nodeIds.entries()) {
        const env = mode === 'cluster' ? shared : { DATA_DIR: join(tmp, `data-${id}`) };
        procs.push(await startNode(opts, id, env, profileDir, opts.cpus.nodes[i] ?? null));
      }
      const port = await freePort();
      const config = join(tmp, 'haproxy.cfg');
      const layout = procs.map((p) => ({ id: p.id, host: '127.0.0.1', port: p.port }));
      writeFileSync(config, renderHaproxyConfig({ port, bind: '127.0.0.1', nodes: layout }));
      const haproxy = spawnPinned(opts.cpus.loadGen, 'haproxy', ['-db', '-f', config], { stdio: 'ignore' });
      others.push(haproxy);
      url = `http://127.0.0.1:${port}`;
      const deadline = performance.now() + BALANCER_READY_MS;
      for (const id of nodeIds) {
        while (!(await routesTo(`${url}/healthz?node=${id}`, id))) {
          if (performance.now() > deadline) throw new Error(`${tag} HAProxy does not route to ${id}`);
          await delay(100);
        }
      }
    }
    const loadGen = spawnPinned(
      opts.cpus.loadGen,
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/load-generator.ts',
        ...['--variant', 'ours', '--url', url, '--rooms', String(rooms)],
        ...['--tick-hz', String(DEFAULT_TICK_HZ), '--snapshot-hz', String(DEFAULT_SNAPSHOT_HZ)],
        ...(nodeIds.length > 0 ? ['--nodes', nodeIds.join(',')] : []),
      ],
      { cwd: opts.root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    others.push(loadGen);
    const { fromGen, tell } = await joinedLoadGen(loadGen, {
      rooms,
      tag,
      seconds: opts.seconds,
      warmupS: opts.warmupS,
    });
    const roomsPerNode = await Promise.all(
      procs.map(async (p) => {
        const res = await fetch(`http://127.0.0.1:${p.port}/healthz`);
        return ((await res.json()) as { rooms: number }).rooms;
      }),
    );

    const cpu0 = procs.map((p) => processCpuMs(p.pid));
    const switches0 = procs.map((p) => processContextSwitches(p.pid));
    const t0 = performance.now();
    tell({ type: 'window-start' });
    await delay(opts.seconds * 1000);
    const cpu1 = procs.map((p) => processCpuMs(p.pid));
    const switches1 = procs.map((p) => processContextSwitches(p.pid));
    const t1 = performance.now();
    const rssKib = procs.reduce((sum, p) => sum + processRssKib(p.pid), 0);
    const statsP = waitForMessage<LoadGenWindowStats>(
      loadGen,
      fromGen('window', (m) => (m.type === 'window' ? m.stats : undefined)),
      30_000,
      `${tag} window report`,
    );
    tell({ type: 'window-end' });
    const stats = await statsP;
    tell({ type: 'stop' });
    await stopChild(loadGen);

    const windowMs = t1 - t0;
    const switched = (kind: 'voluntary' | 'involuntary') =>
      switches1.reduce((sum, s, i) => sum + s[kind] - (switches0[i]?.[kind] ?? 0), 0) / (windowMs / 1000);
    const perNode = procs.map((_, i) => (cpu1[i] as number) - (cpu0[i] as number));
    const cpuMs = perNode.reduce((a, b) => a + b, 0);
    const problems: string[] = [];
    if (stats.saturated) problems.push(`load generator saturated (CPU ${stats.cpuPct.toFixed(0)}%)`);
    if (stats.disconnects > 0) problems.push(`${stats.disconnects} clients disconnected`);
    if (stats.serverErrors > 0) problems.push(`${stats.serverErrors} server errors`);
    if (stats.badFrames > 0) problems.push(`${stats.badFrames} unexpected binary frames`);
    const clients = stats.player.clients + stats.spectator.clients;
    return {
      mode,
      rooms,
      pass,
      windowS: r(windowMs / 1000, 2),
      cpuMs: r(cpuMs, 0),
      cpuMsPerRoomSec: r(cpuMs / rooms / (windowMs / 1000), 4),
      nodeCpuPct: perNode.map((ms) => r((ms / windowMs) * 100, 1)),
      wakeupsPerSec: r(switched('voluntary'), 0),
      preemptionsPerSec: r(switched('involuntary'), 0),
      roomsPerNode,
      rssMib: r(rssKib / 1024, 1),
      bytesPerClientSec: r((stats.player.bytes + stats.spectator.bytes) / clients / (windowMs / 1000), 1),
      loadGenCpuPct: r(stats.cpuPct, 1),
      trusted: problems.length === 0,
      problems,
    };
  } catch (err) {
    const tails = procs.map((p) => `${p.id}:\n  ${p.lines.filter((l) => l.trim()).join('\n  ')}`);
    throw new Error(`${tag} ${(err as Error).message}\n${tails.join('\n')}`, { cause: err });
  } finally {
    await Promise.all([...others, ...procs.map((p) => p.child)].map((c) => stopChild(c)));
    rmSync(tmp, { recursive: true, force: true });
    if (profileDir !== null)
      console.log(`${tag} profiles (whole process life) in ${relative(opts.root, profileDir)}`);
    if (mode === 'cluster') await deleteKeys(opts.redisUrl, prefix);
  }
}

export async function runClusterBench(opts: ClusterBenchOptions): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  const results: ClusterRoomsResult[] = [];
  const modes: Run['mode'][] = ['single', 'cluster', 'colocated'];
  for (const rooms of opts.rooms) {
    const runs: Record<Run['mode'], Run[]> = { single: [], cluster: [], colocated: [] };
    for (let pass = 1; pass <= opts.passes; pass += 1) {
      // Rotate which runs first, so drift over a pass does not always fall on the same one.
      const order = modes.map((_, i) => modes[(i + pass - 1) % modes.length] as Run['mode']);
      for (const mode of order) {
        const run = await runOnce(opts, mode, rooms, pass);
        for (const p of run.problems) console.log(`  ! ${p}`);
        runs[mode].push(run);
      }
    }
    const avg = (mode: Run['mode']) => mean(runs[mode].map((x) => x.cpuMsPerRoomSec));
    const [s, c, k] = [avg('single'), avg('cluster'), avg('colocated')];
    results.push({
      rooms,
      ...runs,
      singleCpuMsPerRoomSec: r(s, 4),
      clusterCpuMsPerRoomSec: r(c, 4),
      colocatedCpuMsPerRoomSec: r(k, 4),
      cpuRatio: r(c / s, 3),
      redisRatio: r(c / k, 3),
    });
  }

  console.log(`\nCPU per room-second, summed over the node processes (${opts.nodes} nodes vs 1):`);
  for (const x of results) {
    const passes = (runs: Run[]) => runs.map((p) => p.cpuMsPerRoomSec.toFixed(3)).join(', ');
    const perNode = (runs: Run[]) => runs.map((p) => p.nodeCpuPct.map((n) => `${n}%`).join('/')).join(', ');
    console.log(
      `  R=${x.rooms}  1 node: ${x.singleCpuMsPerRoomSec.toFixed(3)} ms (passes ${passes(x.single)})`,
    );
    console.log(
      `         ${opts.nodes} nodes on Redis: ${x.clusterCpuMsPerRoomSec.toFixed(3)} ms (passes ${passes(x.cluster)}; ` +
        `per node ${perNode(x.cluster)})`,
    );
    console.log(
      `         ${opts.nodes} nodes, no Redis: ${x.colocatedCpuMsPerRoomSec.toFixed(3)} ms (passes ${passes(x.colocated)}; ` +
        `per node ${perNode(x.colocated)})`,
    );
    const switches = (runs: Run[]) =>
      `${Math.round(mean(runs.map((p) => p.wakeupsPerSec)))}/${Math.round(mean(runs.map((p) => p.preemptionsPerSec)))}`;
    console.log(
      `         wake-ups/preemptions a second, all nodes: 1 node ${switches(x.single)}, ` +
        `${opts.nodes} on Redis ${switches(x.cluster)}, ${opts.nodes} without ${switches(x.colocated)}`,
    );
    console.log(
      `         ratio ${x.cpuRatio.toFixed(3)}× one node; ${x.redisRatio.toFixed(3)}× the same ${opts.nodes} processes without Redis`,
    );
  }
  const at = results.find((x) => x.rooms === TARGET_CLUSTER_ROOMS) ?? results[results.length - 1];
  const trusted = results.every((x) => [...x.single, ...x.cluster, ...x.colocated].every((p) => p.trusted));
  if (at) {
    const pass = at.cpuRatio <= TARGET_CLUSTER_CPU_RATIO;
    console.log(
      `\ntarget: ${pass ? 'pass' : 'FAIL'}  ${opts.nodes} nodes' CPU/room·s ≤ ${TARGET_CLUSTER_CPU_RATIO}× one node's ` +
        `at R=${TARGET_CLUSTER_ROOMS}: ${at.cpuRatio}` +
        (at.rooms !== TARGET_CLUSTER_ROOMS ? ` (measured at R=${at.rooms})` : '') +
        (trusted ? '' : ' (figures NOT trusted)') +
        (opts.cpus.shared
          ? ` (all ${opts.nodes} nodes on one CPU: time-sharing it is part of the figure)`
          : ''),
    );
  }
  const report = {
    generatedAt: startedAt.toISOString(),
    durationS: r((Date.now() - startedAt.getTime()) / 1000, 0),
    nodes: opts.nodes,
    cpuRatio: at?.cpuRatio ?? null,
    trusted,
    config: {
      rooms: opts.rooms,
      windowS: opts.seconds,
      warmupS: opts.warmupS,
      passes: opts.passes,
      single: 'one node, no Redis (PGlite), clients straight to it',
      colocated: `${opts.nodes} nodes without Redis (each its own PGlite) behind the same HAProxy, rooms spread the same way`,
      cluster: `${opts.nodes} nodes on Redis + PostgreSQL behind HAProxy; each room's clients on one node, round-robin (?node=)`,
      pinned: opts.cpus,
      cpuLayout: describeCpuLayout(opts.cpus),
      cpuSource: '/proc/<pid>/stat utime+stime of every node process over the window, summed',
    },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      node: process.version,
      loadavgBefore: loadBefore.map((l) => r(l, 2)),
      loadavgAfter: loadavg().map((l) => r(l, 2)),
    },
    results,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${relative(opts.root, opts.out)}`);
}
