/** Which CPU each process of a `--nodes N` run is pinned to (null: not pinned). */
export interface ClusterCpuLayout {
  /** Node i of the N-node modes runs on `nodes[i]`; the single node runs on `nodes[0]`. */
  nodes: (number | null)[];
  /** The load generator's CPU, which HAProxy shares. */
  loadGen: number | null;
  /** Every node on one CPU: the figure then carries what time-sharing a core costs as well. */
  shared: boolean;
}

/**
 * With a CPU for every node and one more for the load, each node gets its own, and the ratio is
 * what scaling out costs without the time-sharing of one core. With fewer (two CPUs: this
 * project's machines), every node shares the first and the load takes the second: N processes
 * time-sharing one core cost more than one process on it with no shared state at all
 * (docs/PERFORMANCE.md, "Fifth round"). Fewer than two CPUs, or no taskset: nothing is pinned.
 */
export function clusterCpuLayout(cpus: readonly number[], nodes: number, canPin: boolean): ClusterCpuLayout {
  const [first, second] = cpus;
  if (!canPin || first === undefined || second === undefined) {
    return { nodes: Array.from({ length: nodes }, () => null), loadGen: null, shared: false };
  }
  const own = cpus[nodes];
  if (own !== undefined) {
    return { nodes: cpus.slice(0, nodes), loadGen: own, shared: false };
  }
  return { nodes: Array.from({ length: nodes }, () => first), loadGen: second, shared: nodes > 1 };
}

/** One line for the bench's output and report. */
export function describeCpuLayout(layout: ClusterCpuLayout): string {
  if (layout.loadGen === null) return 'not pinned (taskset or a second CPU is missing: figures are noisier)';
  const gen = `load generator and HAProxy on CPU ${layout.loadGen}`;
  if (layout.shared) {
    return (
      `every node on CPU ${layout.nodes[0]}, ${gen} ` +
      `(${layout.nodes.length + 1} CPUs would give each node its own)`
    );
  }
  return `node CPUs ${layout.nodes.join(', ')} (one each), ${gen}`;
}
