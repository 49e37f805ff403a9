// Where `npm run bench -- --nodes N` pins its processes: each node on its own CPU when the machine
// has one per node plus one for the load, all nodes on one otherwise.
import { describe, expect, it } from 'vitest';
import { clusterCpuLayout, describeCpuLayout } from '../../bench/lib/cpu-layout.ts';

describe('cluster bench CPU layout', () => {
  it('gives each node its own CPU when there is one per node and one more for the load', () => {
    const layout = clusterCpuLayout([0, 1, 2, 3, 4, 5], 3, true);
    expect(layout).toEqual({ nodes: [0, 1, 2], loadGen: 3, shared: false });
    expect(describeCpuLayout(layout)).toBe(
      'node CPUs 0, 1, 2 (one each), load generator and HAProxy on CPU 3',
    );
    // The CPUs this process may use, in order, not 0..n.
    expect(clusterCpuLayout([2, 5, 7, 9], 3, true)).toEqual({ nodes: [2, 5, 7], loadGen: 9, shared: false });
  });

  it('puts every node on the first CPU and the load on the second with fewer, and says so', () => {
    const layout = clusterCpuLayout([0, 1], 3, true);
    expect(layout).toEqual({ nodes: [0, 0, 0], loadGen: 1, shared: true });
    expect(describeCpuLayout(layout)).toMatch(
      /every node on CPU 0, .* \(4 CPUs would give each node its own\)/,
    );
    expect(clusterCpuLayout([0, 1, 2], 3, true)).toEqual({ nodes: [0, 0, 0], loadGen: 1, shared: true });
    // One node with two CPUs is the main bench's layout.
    expect(clusterCpuLayout([0, 1], 1, true)).toEqual({ nodes: [0], loadGen: 1, shared: false });
  });

  it('pins nothing without taskset or a second CPU', () => {
    const none = { nodes: [null, null, null], loadGen: null, shared: false };
    expect(clusterCpuLayout([0, 1, 2, 3], 3, false)).toEqual(none);
    expect(clusterCpuLayout([0], 3, true)).toEqual(none);
    expect(describeCpuLayout(none)).toMatch(/^not pinned/);
  });
});
