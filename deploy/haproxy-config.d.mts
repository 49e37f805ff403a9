// Types for haproxy-config.mjs (used by the cluster tests).
export interface HaproxyNode {
  id: string;
  host: string;
  port: number;
}
export function clusterNodes(count: number, basePort: number, host?: string): HaproxyNode[];
export function renderHaproxyConfig(opts: { port: number; bind?: string; nodes: HaproxyNode[] }): string;
