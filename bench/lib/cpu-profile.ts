import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) the summary needs. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  /** Time the process was busy: every sample except (idle). */
  totalMs: number;
  idleMs: number;
  /** Self time per function, largest first. */
  functions: SelfTime[];
  /** Self time per package or source folder (node_modules/<pkg>, dist/server, node:internal, …). */
  areas: SelfTime[];
}

/** Where a frame's code lives, coarse enough to say which layer the time goes to. */
function areaOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node:internal';
  // Our code, compiled (dist/server/rooms/…) or run from source by tsx (shared/sim/…, bench/…).
  const own = /\/((?:dist\/)?(?:server|shared)\/[^/]+|bench)\//.exec(url);
  return own ? (own[1] as string) : url;
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const own = /\/((?:dist\/)?(?:server|shared|bench)\/.*)$/.exec(url);
  return own ? (own[1] as string) : url.replace(/^file:\/\//, '');
}

/** Sums each sample's time delta onto the frame it hit (self time), by function and by area; idle time is left out. */
export function summariseCpuProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fn = new Map<string, SelfTime>();
  const area = new Map<string, SelfTime>();
  let totalUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id);
    if (!frame) return;
    const name = frame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idleUs += us;
      return;
    }
    totalUs += us;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const f = fn.get(key) ?? { name, where, ms: 0, pct: 0 };
    f.ms += us / 1000;
    fn.set(key, f);
    const a = areaOf(frame.url, name);
    const s = area.get(a) ?? { name: a, where: '', ms: 0, pct: 0 };
    s.ms += us / 1000;
    area.set(a, s);
  });
  const totalMs = totalUs / 1000;
  const ranked = (m: Map<string, SelfTime>) =>
    [...m.values()]
      .map((s) => ({ ...s, pct: totalMs > 0 ? (s.ms / totalMs) * 100 : 0 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { totalMs, idleMs: idleUs / 1000, functions: ranked(fn), areas: ranked(area) };
}
