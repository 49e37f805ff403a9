import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * CPU time of another process, read from /proc/<pid>/stat (Linux): utime + stime of the whole
 * thread group, the same quantity process.cpuUsage() reports from inside (getrusage RUSAGE_SELF),
 * read from outside so neither server needs a hook. Resolution is one clock tick (10 ms).
 */
export function hasProcFs(): boolean {
  return existsSync('/proc/self/stat');
}

let clockTicks: number | null = null;

/** Kernel clock ticks per second (USER_HZ), 100 on every mainstream Linux. */
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of `pid` so far, in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot read CPU time of process ${pid}`);
  return (ticks * 1000) / clockTicksPerSecond();
}

/** Busy and total time of one CPU since boot, in clock ticks, from /proc/stat. */
export interface CoreTimes {
  busy: number;
  total: number;
}

export function coreTimes(cpu: number): CoreTimes | null {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPUs this process may run on (Cpus_allowed_list of /proc/self/status), ascending. */
export function allowedCpus(): number[] {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
    if (!list) return [];
    const cpus: number[] = [];
    for (const part of list.split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || !Number.isInteger(a)) continue;
      for (let c = a; c <= (b ?? a); c++) cpus.push(c);
    }
    return cpus;
  } catch {
    return [];
  }
}

/** Resident memory of `pid` now, in KiB, from /proc/<pid>/status (VmRSS). */
export function processRssKib(pid: number): number {
  return statusNumber(readFileSync(`/proc/${pid}/status`, 'utf8'), pid, 'VmRSS', ' kB');
}

/** One number of /proc/<pid>/status: `Name:\t123`, then `unit` if given. */
function statusNumber(status: string, pid: number, name: string, unit = ''): number {
  const match = new RegExp(`^${name}:\\s+(\\d+)${unit}$`, 'm').exec(status);
  if (!match) throw new Error(`cannot read the ${name} of process ${pid}`);
  return Number(match[1]);
}

/** Context switches of a process's main thread so far (/proc/<pid>/status of the thread-group leader). */
export interface ContextSwitches {
  /** It blocked (an event loop waiting in epoll): each one is a sleep and a wake-up. */
  voluntary: number;
  /** The kernel took the CPU from it for another runnable task. */
  involuntary: number;
}

export function processContextSwitches(pid: number): ContextSwitches {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    voluntary: statusNumber(status, pid, 'voluntary_ctxt_switches'),
    involuntary: statusNumber(status, pid, 'nonvoluntary_ctxt_switches'),
  };
}
