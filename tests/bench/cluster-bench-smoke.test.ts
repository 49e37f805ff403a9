// Keeps `npm run bench -- --nodes 3` from rotting: one node alone, three nodes on Redis behind
// HAProxy, and the same three without Redis, three rooms each for about a second, and checks the
// report. Needs dist/ (the deploy project runs after `npm run build`), HAProxy, Redis and
// PostgreSQL (what `.ci/run` provides).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterRoomsResult } from '../../bench/lib/cluster-run.ts';
import { runScript } from './run-script.ts';

const NODES = 3;
/** One room per node: round-robin puts room i on node i. */
const ROOMS = 3;

/** What the report holds, as the bench writes it (cluster-latest.json). */
interface Report {
  nodes: number;
  config: { cpuLayout: string };
  cpuRatio: number;
  results: ClusterRoomsResult[];
}

const dir = mkdtempSync(join(tmpdir(), 'pong-cluster-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench -- --nodes 3 (smoke)', () => {
  it('runs the same load on one node and on three behind HAProxy (with and without Redis), and compares their CPU', async () => {
    const out = join(dir, 'cluster.json');
    const { code, output } = await runScript('bench/run.ts', [
      ...['--nodes', String(NODES), '--rooms', String(ROOMS), '--seconds', '1', '--warmup', '0.2'],
      ...['--passes', '1', '--skip-build', '--out', out],
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/ratio \d+\.\d{3}× one node; \d+\.\d{3}× the same 3 processes without Redis/);
    expect(output).toMatch(/target: (pass|FAIL) {2}3 nodes' CPU\/room·s ≤ 1\.15× one node's/);
    // Which CPUs the nodes ran on: on their own, all on one, or unpinned (cpu-layout.ts).
    expect(output).toMatch(
      /bench --nodes 3: (every node on CPU \d+|node CPUs \d+, \d+, \d+ \(one each\)|not pinned)/,
    );

    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.nodes).toBe(NODES);
    expect(report.config.cpuLayout).toMatch(/^(every node on CPU|node CPUs|not pinned)/);
    const result = report.results[0];
    if (!result) throw new Error('no result');
    expect(result.rooms).toBe(ROOMS);
    const [single] = result.single;
    const [cluster] = result.cluster;
    const [colocated] = result.colocated;
    if (!single || !cluster || !colocated) throw new Error('a mode did not run');
    expect([single.problems, cluster.problems, colocated.problems]).toEqual([[], [], []]);
    expect(single.roomsPerNode).toEqual([ROOMS]);
    // Each node ran one room: the load went through the balancer to all three, as routed.
    expect(cluster.roomsPerNode).toEqual([1, 1, 1]);
    expect(colocated.roomsPerNode).toEqual([1, 1, 1]);
    expect(cluster.nodeCpuPct).toHaveLength(NODES);
    for (const pct of [...single.nodeCpuPct, ...cluster.nodeCpuPct, ...colocated.nodeCpuPct]) {
      expect(pct).toBeGreaterThan(0);
    }
    // Snapshots reached the clients in all three (about 30 a second of ~24 bytes each).
    for (const run of [single, cluster, colocated]) expect(run.bytesPerClientSec).toBeGreaterThan(100);
    expect(result.cpuRatio).toBeCloseTo(result.clusterCpuMsPerRoomSec / result.singleCpuMsPerRoomSec, 2);
    expect(result.redisRatio).toBeCloseTo(result.clusterCpuMsPerRoomSec / result.colocatedCpuMsPerRoomSec, 2);
    expect(report.cpuRatio).toBe(result.cpuRatio);
  }, 180_000);
});
