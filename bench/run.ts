/**
 * `npm run bench`: server cost of our production build against a floor server, as ratios measured
 * in the same run. For each room count R, each pass runs every variant once (ours, the floor, and
 * on request ours-engine: the same build with SNAPSHOT_FANOUT=engine), the order rotated from pass
 * to pass so machine drift hits all of them; each run has its own server child (pinned to one CPU)
 * and load-generator child (pinned to another) and measures a steady window. Prints a table and
 * writes bench/results/latest.json. See bench/README.md for what each figure means.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_SNAPSHOT_HZ, DEFAULT_TICK_HZ } from '../shared/constants.ts';
import {
  hasTaskset,
  liveChildren,
  spawnPinned,
  stopChild,
  waitForExit,
  waitForLine,
  waitForMessage,
} from './lib/children.ts';
import {
  BENCH_POINTS_TO_WIN,
  READY_LINE,
  READY_TIMEOUT_MS,
  SERVER_ENTRY,
  benchServerEnv,
} from './lib/bench-server.ts';
import { runClusterBench } from './lib/cluster-run.ts';
import { clusterCpuLayout, describeCpuLayout } from './lib/cpu-layout.ts';
import { joinedLoadGen } from './lib/load-gen-control.ts';
import { summariseCpuProfile } from './lib/cpu-profile.ts';
import { compareFanout, cpuSpread, fanoutVerdict, type FanoutComparison } from './lib/fanout-comparison.ts';
import type { LoadGenWindowStats, Variant } from './lib/messages.ts';
import {
  allowedCpus,
  clockTicksPerSecond,
  coreTimes,
  hasProcFs,
  processCpuMs,
  processRssKib,
  type CoreTimes,
} from './lib/proc-cpu.ts';
import {
  histogram,
  histogramDelta,
  histogramQuantile,
  parsePrometheusText,
  scalar,
  SCHEDULER_TICKS_METRIC,
  TICK_LATENESS_METRIC,
  type Sample,
} from './lib/prometheus.ts';
import { mean, round } from './lib/stats.ts';
import { DEFAULT_VARIANTS, parseVariants, passOrder } from './lib/variants.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The built configuration module: its default fan-out mode is what `ours` runs with. */
const CONFIG_ENTRY = 'dist/server/config.js';
const DEFAULT_OUT = 'bench/results/latest.json';
const DEFAULT_CLUSTER_OUT = 'bench/results/cluster-latest.json';
const PROFILE_DIR = 'tmp/bench-profile';
const DEFAULT_ROOMS = '50,200,500';
/** Between "everyone joined" and the window: join bursts and JIT warm-up settle. */
const DEFAULT_WARMUP_S = 2;

/** The issue's targets: cost, latency and memory at R = 200, and the tick rate held at R = 500. */
const TARGET_ROOMS = 200;
const TARGET_CPU_RATIO = 1.15;
const TARGET_TICK_LATENESS_P99_MS = 4;
const TARGET_KIB_PER_ROOM = 150;
const TARGET_TICKS_ROOMS = 500;
/** "60 ticks per second held" on the server's one pinned core: pong_scheduler_ticks over the window. */
const TARGET_TICKS_PER_SEC = 59.5;
const TARGET_BYTES_PER_CLIENT_SEC = 1200;
/** Other processes taking more than this share of the server's core make latency figures noisy. */
const NOISY_CORE_PCT = 20;
/** Above this share of its core the server is saturated: its CPU figure is capped, not its cost. */
const SATURATED_SERVER_PCT = 95;

interface Options {
  rooms: number[];
  variants: Variant[];
  seconds: number;
  warmupS: number;
  passes: number;
  skipBuild: boolean;
  out: string;
  profile: boolean;
  /** `--nodes N`: compare N nodes behind HAProxy with one node (bench/lib/cluster-run.ts). */
  nodes: number | null;
}

const USAGE = `usage: tsx bench/run.ts [--rooms ${DEFAULT_ROOMS}] [--seconds 15] [--warmup 2] [--passes 2]
                         [--variants ${DEFAULT_VARIANTS.join(',')}] [--quick] [--skip-build]
                         [--out ${DEFAULT_OUT}] [--profile]
  --variants    which servers run, each once per pass (order rotated between passes): ours, floor
                (both always), ours-engine (ours with SNAPSHOT_FANOUT=engine)
  --quick       one pass per variant at R=100 with a 10 s window (CI-sized)
  --skip-build  use dist/ as it is (default: rebuild the server when its sources are newer)
  --profile     run each server once at the largest R under node --cpu-prof (${PROFILE_DIR}/);
                with --nodes, every node of every run is profiled (one pass is enough)
                and print where its CPU goes; writes no results
  --nodes N     scale-out cost instead: N nodes on Redis (REDIS_URL, default the local one) and
                PostgreSQL (DATABASE_URL, default the local one) behind HAProxy against one node
                alone and against the same N nodes without Redis, same load (default R=200,
                out ${DEFAULT_CLUSTER_OUT})`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rooms: { type: 'string' },
      variants: { type: 'string', default: DEFAULT_VARIANTS.join(',') },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      passes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'skip-build': { type: 'boolean', default: false },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      nodes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (raw: string, name: string, integer: boolean) => {
    const n = Number(raw);
    if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`${name}: expected a positive number`);
    return n;
  };
  const nonNegative = (raw: string, name: string) => {
    const n = Number(raw);
    if (!(n >= 0)) throw new Error(`${name}: expected a number ≥ 0`);
    return n;
  };
  const nodes = values.nodes === undefined ? null : positive(values.nodes, '--nodes', true);
  const rooms = (
    values.rooms ?? (values.quick ? '100' : nodes !== null ? String(TARGET_ROOMS) : DEFAULT_ROOMS)
  )
    .split(',')
    .map((r) => positive(r.trim(), '--rooms', true));
  return {
    rooms,
    variants: parseVariants(values.variants),
    seconds: positive(values.seconds ?? (values.quick ? '10' : '15'), '--seconds', false),
    warmupS: values.warmup === undefined ? DEFAULT_WARMUP_S : nonNegative(values.warmup, '--warmup'),
    passes: positive(values.passes ?? (values.quick ? '1' : '2'), '--passes', true),
    skipBuild: values['skip-build'],
    out: resolve(ROOT, values.out ?? (nodes !== null ? DEFAULT_CLUSTER_OUT : DEFAULT_OUT)),
    profile: values.profile,
    nodes,
  };
}

// ---------------------------------------------------------------------------------------------------
// Build

function newestMtime(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

async function ensureServerBuild(skipBuild: boolean): Promise<void> {
  const entry = join(ROOT, SERVER_ENTRY);
  if (skipBuild) {
    if (!existsSync(entry)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`);
    return;
  }
  const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const sources = Math.max(...['server', 'shared'].map((d) => newestMtime(join(ROOT, d))));
  if (sources <= builtAt) return;
  console.log('bench: building the server (its sources are newer than dist/)');
  const npmCli = process.env.npm_execpath;
  const [cmd, ...prefix] = npmCli && /\.[cm]?js$/.test(npmCli) ? [process.execPath, npmCli] : ['npm'];
  const build = spawnPinned(null, cmd as string, [...prefix, 'run', 'build:server'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const exit = await waitForExit(build);
  if (exit.code !== 0) throw new Error('the server build failed');
}

// ---------------------------------------------------------------------------------------------------
// One run: one server, one load generator, one window

interface Pins {
  server: number | null;
  loadGen: number | null;
}

interface Scrape {
  samples: Sample[];
  /** When the server produced it (midpoint of the request). */
  atMs: number;
}

async function scrape(url: string): Promise<Scrape> {
  const sent = performance.now();
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  const text = await res.text();
  return { samples: parsePrometheusText(text), atMs: (sent + performance.now()) / 2 };
}

/** What one run measured; all rates are over its steady window. */
interface PassResult {
  pass: number;
  /** Where the variant ran within its pass (1 = first). */
  position: number;
  windowS: number;
  joinS: number;
  serverCpuMs: number;
  /** Server CPU over the window, % of one core. */
  serverCpuPct: number;
  cpuMsPerRoomSec: number;
  /** Server RSS at the window's end, and its growth over the idle server divided by the rooms. */
  rssMib: number;
  kibPerRoom: number;
  bytesPerClientSec: { player: number; spectator: number };
  snapshotsPerClientSec: { player: number; spectator: number };
  snapshotIntervalMs: { p50: number; p99: number; max: number };
  tickLatenessMs: { p50: number; p99: number };
  ticksPerSec: number;
  loadGen: {
    cpuPct: number;
    loopDelayP99Ms: number;
    /** Inputs sent over the window, % of those due at the fixed rate (below 95: the loop fell behind). */
    inputsSentPct: number;
    saturated: boolean;
    /** CPU the rest of the machine took on the generator's core, % (null: not pinned). */
    otherLoadOnCpuPct: number | null;
  };
  /** CPU the rest of the machine took on the server's core during the window, % (null: not pinned). */
  otherLoadOnServerCpuPct: number | null;
  trusted: boolean;
  /** Why the figures cannot be trusted (the load generator saturated, clients dropped, …). */
  problems: string[];
  /** What makes them noisier without making them wrong (a busy machine). */
  warnings: string[];
}

interface RunSpec {
  variant: Variant;
  rooms: number;
  pass: number;
  position: number;
  opts: Options;
  pins: Pins;
  /** Extra node flags for the server process (--cpu-prof …). */
  serverNodeArgs?: string[];
}

function serverCommand(spec: RunSpec): string[] {
  const flags = spec.serverNodeArgs ?? [];
  if (spec.variant !== 'floor') return [...flags, SERVER_ENTRY];
  // tsx as an in-process loader (not the tsx CLI, which would run the floor in a grandchild):
  // its compile time is spent before the ready line, outside every measurement.
  return [...flags, '--import', 'tsx', 'bench/floor-server.ts'];
}

async function runOnce(spec: RunSpec): Promise<PassResult> {
  const { variant, rooms, opts, pins } = spec;
  const tag = `[${variant} R=${rooms} pass ${spec.pass}/${opts.passes}]`;
  // ours-engine forces engine.io's supported path; ours runs the build's default. The floor ignores it.
  const env = benchServerEnv({ SNAPSHOT_FANOUT: variant === 'ours-engine' ? 'engine' : undefined });
  const children: ChildProcess[] = [];
  const serverLines: string[] = [];
  let serverLogLines = 0;
  let ready = false;
  try {
    const server = spawnPinned(pins.server, process.execPath, serverCommand(spec), {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    const keep = (line: string) => {
      if (ready) serverLogLines += 1;
      serverLines.push(line);
      if (serverLines.length > 20) serverLines.shift();
    };
    server.stderr?.setEncoding('utf8').on('data', (chunk: string) => chunk.split('\n').forEach(keep));
    const port = Number((await waitForLine(server, READY_LINE, READY_TIMEOUT_MS, keep))[1]);
    ready = true;
    const url = `http://127.0.0.1:${port}`;
    const pid = server.pid as number;
    const rssIdleKib = processRssKib(pid);

    const loadGen = spawnPinned(
      pins.loadGen,
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/load-generator.ts',
        ...['--variant', variant, '--url', url, '--rooms', String(rooms)],
        ...['--tick-hz', String(DEFAULT_TICK_HZ), '--snapshot-hz', String(DEFAULT_SNAPSHOT_HZ)],
      ],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    children.push(loadGen);
    const { fromGen, tell, joinS } = await joinedLoadGen(loadGen, {
      rooms,
      tag,
      seconds: opts.seconds,
      warmupS: opts.warmupS,
    });

    // Window: metrics scraped just outside the CPU readings, so scraping is not billed to the window.
    const m0 = await scrape(url);
    const core0 = pins.server === null ? null : coreTimes(pins.server);
    const genCore0 = pins.loadGen === null ? null : coreTimes(pins.loadGen);
    const cpu0 = processCpuMs(pid);
    const t0 = performance.now();
    tell({ type: 'window-start' });
    await delay(opts.seconds * 1000);
    const cpu1 = processCpuMs(pid);
    const t1 = performance.now();
    const rssEndKib = processRssKib(pid);
    const core1 = pins.server === null ? null : coreTimes(pins.server);
    const genCore1 = pins.loadGen === null ? null : coreTimes(pins.loadGen);
    const statsP = waitForMessage(
      loadGen,
      fromGen('window', (m) => (m.type === 'window' ? m.stats : undefined)),
      30_000,
      `${tag} window report`,
    );
    tell({ type: 'window-end' });
    const m1 = await scrape(url);
    const stats = await statsP;
    tell({ type: 'stop' });
    await stopChild(loadGen);
    const serverExit = await stopChild(server);
    if (serverExit.code !== 0 && serverExit.signal !== 'SIGTERM') {
      throw new Error(`${variant} server exited with ${serverExit.signal ?? serverExit.code}`);
    }
    return measure({
      spec,
      joinS,
      windowMs: t1 - t0,
      cpuMs: cpu1 - cpu0,
      rssIdleKib,
      rssEndKib,
      m0,
      m1,
      stats,
      core0,
      core1,
      genCore0,
      genCore1,
      serverLogLines,
    });
  } catch (err) {
    const tail = serverLines.filter((l) => l.trim() !== '').slice(-10);
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${tag} ${msg}${tail.length ? `\nserver output:\n  ${tail.join('\n  ')}` : ''}`, {
      cause: err,
    });
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

interface Measured {
  spec: RunSpec;
  joinS: number;
  windowMs: number;
  cpuMs: number;
  /** Server RSS once listening (no client yet) and at the end of the window. */
  rssIdleKib: number;
  rssEndKib: number;
  m0: Scrape;
  m1: Scrape;
  stats: LoadGenWindowStats;
  core0: CoreTimes | null;
  core1: CoreTimes | null;
  genCore0: CoreTimes | null;
  genCore1: CoreTimes | null;
  serverLogLines: number;
}

function measure(x: Measured): PassResult {
  const { spec, stats } = x;
  const windowS = x.windowMs / 1000;
  const lateness = histogramDelta(
    histogram(x.m0.samples, TICK_LATENESS_METRIC),
    histogram(x.m1.samples, TICK_LATENESS_METRIC),
  );
  const ticks = scalar(x.m1.samples, SCHEDULER_TICKS_METRIC) - scalar(x.m0.samples, SCHEDULER_TICKS_METRIC);
  /** % of the window a core spent on processes other than the one that used `ownMs` of it. */
  const othersOn = (a: CoreTimes | null, b: CoreTimes | null, ownMs: number) => {
    if (!a || !b) return null;
    const busyMs = ((b.busy - a.busy) * 1000) / clockTicksPerSecond();
    return Math.max(0, ((busyMs - ownMs) / x.windowMs) * 100);
  };
  const otherLoad = othersOn(x.core0, x.core1, x.cpuMs);
  const genOtherLoad = othersOn(x.genCore0, x.genCore1, (stats.cpuPct / 100) * stats.windowMs);
  const problems: string[] = [];
  const inputsSentPct = stats.inputsDue > 0 ? (stats.inputsSent / stats.inputsDue) * 100 : 100;
  if (stats.saturated) {
    problems.push(
      `load generator saturated (CPU ${stats.cpuPct.toFixed(0)}%, loop delay p99 ${stats.loopDelayP99Ms.toFixed(1)} ms, ` +
        `inputs sent ${inputsSentPct.toFixed(0)}% of due` +
        (genOtherLoad === null ? ')' : `, other processes on its CPU ${genOtherLoad.toFixed(0)}%)`),
    );
  }
  if (stats.disconnects > 0) problems.push(`${stats.disconnects} clients disconnected`);
  if (stats.serverErrors > 0) problems.push(`${stats.serverErrors} server errors (server:error / room:left)`);
  if (stats.badFrames > 0) problems.push(`${stats.badFrames} unexpected binary frames`);
  if (x.serverLogLines > 0) problems.push(`the server logged ${x.serverLogLines} warning lines`);
  const warnings: string[] = [];
  const serverCpuPct = (x.cpuMs / x.windowMs) * 100;
  if (serverCpuPct > SATURATED_SERVER_PCT) {
    warnings.push(
      `the server used ${serverCpuPct.toFixed(0)}% of its core: saturated, so its CPU per room-second ` +
        'is capped (ticks/s says whether it kept up)',
    );
  }
  if (otherLoad !== null && otherLoad > NOISY_CORE_PCT) {
    warnings.push(
      `other processes took ${otherLoad.toFixed(0)}% of the server's CPU ${spec.pins.server} during the window: ` +
        'latency figures are noisy',
    );
  }
  return {
    pass: spec.pass,
    position: spec.position,
    windowS: r(windowS),
    joinS: r(x.joinS),
    serverCpuMs: r(x.cpuMs, 0),
    serverCpuPct: r(serverCpuPct, 1),
    cpuMsPerRoomSec: r(x.cpuMs / spec.rooms / windowS, 4),
    rssMib: r(x.rssEndKib / 1024, 1),
    kibPerRoom: r((x.rssEndKib - x.rssIdleKib) / spec.rooms, 1),
    bytesPerClientSec: {
      player: r(stats.player.bytesPerClientSec, 1),
      spectator: r(stats.spectator.bytesPerClientSec, 1),
    },
    snapshotsPerClientSec: {
      player: r(stats.player.snapshotsPerClientSec),
      spectator: r(stats.spectator.snapshotsPerClientSec),
    },
    snapshotIntervalMs: {
      p50: r(stats.snapshotIntervalMs.p50),
      p99: r(stats.snapshotIntervalMs.p99),
      max: r(stats.snapshotIntervalMs.max),
    },
    tickLatenessMs: {
      p50: r(histogramQuantile(lateness, 0.5), 3),
      p99: r(histogramQuantile(lateness, 0.99), 3),
    },
    ticksPerSec: r(ticks / ((x.m1.atMs - x.m0.atMs) / 1000)),
    loadGen: {
      cpuPct: r(stats.cpuPct, 1),
      loopDelayP99Ms: r(stats.loopDelayP99Ms),
      inputsSentPct: r(inputsSentPct, 1),
      saturated: stats.saturated,
      otherLoadOnCpuPct: genOtherLoad === null ? null : r(genOtherLoad, 1),
    },
    otherLoadOnServerCpuPct: otherLoad === null ? null : r(otherLoad, 1),
    trusted: problems.length === 0,
    problems,
    warnings,
  };
}

/** round() for figures that were measured: a NaN here is a bug, so it stays visible as NaN → null. */
function r(value: number, digits = 2): number {
  return round(value, digits) ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------------
// Summaries

interface VariantSummary {
  /** Mean over the passes; the range is its lowest and highest pass. */
  cpuMsPerRoomSec: number;
  cpuMsPerRoomSecRange: { min: number; max: number };
  rssMib: number;
  kibPerRoom: number;
  serverCpuPct: number;
  bytesPerClientSec: { player: number; spectator: number };
  snapshotsPerClientSec: { player: number; spectator: number };
  snapshotIntervalMs: { p50: number; p99: number };
  tickLatenessMs: { p50: number; p99: number };
  ticksPerSec: number;
  loadGenCpuPct: number;
  loadGenSaturated: boolean;
  otherLoadOnServerCpuPct: number | null;
  trusted: boolean;
  passes: PassResult[];
}

function summarise(passes: PassResult[]): VariantSummary {
  const avg = (f: (p: PassResult) => number, digits = 2) => r(mean(passes.map(f)), digits);
  const other = passes.map((p) => p.otherLoadOnServerCpuPct);
  const cpu = cpuSpread(passes.map((p) => p.cpuMsPerRoomSec));
  return {
    cpuMsPerRoomSec: cpu.mean,
    cpuMsPerRoomSecRange: { min: cpu.min, max: cpu.max },
    rssMib: avg((p) => p.rssMib, 1),
    kibPerRoom: avg((p) => p.kibPerRoom, 1),
    serverCpuPct: avg((p) => p.serverCpuPct, 1),
    bytesPerClientSec: {
      player: avg((p) => p.bytesPerClientSec.player, 1),
      spectator: avg((p) => p.bytesPerClientSec.spectator, 1),
    },
    snapshotsPerClientSec: {
      player: avg((p) => p.snapshotsPerClientSec.player),
      spectator: avg((p) => p.snapshotsPerClientSec.spectator),
    },
    snapshotIntervalMs: {
      p50: avg((p) => p.snapshotIntervalMs.p50),
      p99: avg((p) => p.snapshotIntervalMs.p99),
    },
    tickLatenessMs: { p50: avg((p) => p.tickLatenessMs.p50, 3), p99: avg((p) => p.tickLatenessMs.p99, 3) },
    ticksPerSec: avg((p) => p.ticksPerSec),
    loadGenCpuPct: avg((p) => p.loadGen.cpuPct, 1),
    loadGenSaturated: passes.some((p) => p.loadGen.saturated),
    otherLoadOnServerCpuPct: other.every((o) => o !== null) ? r(mean(other as number[]), 1) : null,
    trusted: passes.every((p) => p.trusted),
    passes,
  };
}

interface RoomsResult {
  rooms: number;
  /** The order the variants ran in, pass by pass. */
  order: Variant[][];
  ours: VariantSummary;
  /** Present when it ran (`--variants` with ours-engine). */
  'ours-engine'?: VariantSummary;
  floor: VariantSummary;
  /** Server CPU per room-second, ours / floor (the target's ratio). */
  cpuRatio: number;
  /** Every variant's CPU per room-second ÷ the floor's of the same run, at this R. */
  cpuRatios: Partial<Record<Variant, number>>;
  /** ours against ours-engine, when both ran. */
  fanout: FanoutComparison | null;
}

function roomsResult(
  rooms: number,
  order: Variant[][],
  passes: Map<Variant, PassResult[]>,
  oursMode: string,
): RoomsResult {
  const summaryOf = (v: Variant) => {
    const list = passes.get(v);
    return list && list.length > 0 ? summarise(list) : undefined;
  };
  const ours = summaryOf('ours');
  const floor = summaryOf('floor');
  if (!ours || !floor) throw new Error(`R=${rooms}: ours and the floor must both run`);
  const oursEngine = summaryOf('ours-engine');
  const cpuRatios: Partial<Record<Variant, number>> = {};
  for (const [v, s] of [
    ['ours', ours],
    ['ours-engine', oursEngine],
  ] as const) {
    if (s) cpuRatios[v] = r(s.cpuMsPerRoomSec / floor.cpuMsPerRoomSec, 3);
  }
  return {
    rooms,
    order,
    ours,
    ...(oursEngine ? { 'ours-engine': oursEngine } : {}),
    floor,
    cpuRatio: r(ours.cpuMsPerRoomSec / floor.cpuMsPerRoomSec, 3),
    cpuRatios,
    fanout: oursEngine ? compareFanout(ours.passes, oursEngine.passes, oursMode) : null,
  };
}

interface Target {
  name: string;
  goal: string;
  /** The room count the target is defined at, and the one it was evaluated at (see atRooms). */
  definedAtRooms: number | null;
  evaluatedAtRooms: number;
  value: number;
  pass: boolean;
  /** Whether the figures it was read from are trusted (see each pass's problems). */
  trusted: boolean;
  /** Why the verdict means less than it says (another R, an unpinned server), or null. */
  note: string | null;
}

/** The worse of player and spectator: every kind of client must fit the downstream budget. */
const downstream = (s: VariantSummary) => Math.max(s.bytesPerClientSec.player, s.bytesPerClientSec.spectator);

/** The result at `rooms`, or the largest R that ran when that one did not (marked in the target's note). */
function atRooms(results: RoomsResult[], rooms: number): RoomsResult {
  return results.find((x) => x.rooms === rooms) ?? (results[results.length - 1] as RoomsResult);
}

function targets(results: RoomsResult[], pins: Pins): Target[] {
  const target = (
    name: string,
    goal: string,
    definedAtRooms: number | null,
    x: RoomsResult,
    value: number,
    pass: boolean,
    extraNote: string | null = null,
  ): Target => {
    const notes = [
      definedAtRooms !== null && x.rooms !== definedAtRooms
        ? `R=${definedAtRooms} did not run: measured at R=${x.rooms}`
        : null,
      extraNote,
    ].filter((n) => n !== null);
    return {
      name,
      goal,
      definedAtRooms,
      evaluatedAtRooms: x.rooms,
      value,
      pass,
      trusted: x.ours.trusted && x.floor.trusted,
      note: notes.length > 0 ? notes.join('; ') : null,
    };
  };
  const at = atRooms(results, TARGET_ROOMS);
  const atTicks = atRooms(results, TARGET_TICKS_ROOMS);
  const worstDownstream = results.reduce((w, x) => (downstream(x.ours) > downstream(w.ours) ? x : w));
  return [
    target(
      'cpuRatio',
      `ours/floor CPU ≤ ${TARGET_CPU_RATIO} at R=${TARGET_ROOMS}`,
      TARGET_ROOMS,
      at,
      at.cpuRatio,
      at.cpuRatio <= TARGET_CPU_RATIO,
    ),
    target(
      'tickLatenessP99Ms',
      `p99 tick lateness < ${TARGET_TICK_LATENESS_P99_MS} ms at R=${TARGET_ROOMS}`,
      TARGET_ROOMS,
      at,
      at.ours.tickLatenessMs.p99,
      at.ours.tickLatenessMs.p99 < TARGET_TICK_LATENESS_P99_MS,
    ),
    target(
      'kibPerRoom',
      `RSS growth ≤ ${TARGET_KIB_PER_ROOM} KiB per room at R=${TARGET_ROOMS}`,
      TARGET_ROOMS,
      at,
      at.ours.kibPerRoom,
      at.ours.kibPerRoom <= TARGET_KIB_PER_ROOM,
    ),
    target(
      'ticksPerSec',
      `${DEFAULT_TICK_HZ} ticks/s held (≥ ${TARGET_TICKS_PER_SEC}) at R=${TARGET_TICKS_ROOMS} on one core`,
      TARGET_TICKS_ROOMS,
      atTicks,
      atTicks.ours.ticksPerSec,
      atTicks.ours.ticksPerSec >= TARGET_TICKS_PER_SEC,
      pins.server === null ? 'the server was not pinned: not a one-core figure' : null,
    ),
    target(
      'bytesPerClientSec',
      `downstream ≤ ${TARGET_BYTES_PER_CLIENT_SEC} B per client per s (worst R)`,
      null,
      worstDownstream,
      downstream(worstDownstream.ours),
      downstream(worstDownstream.ours) <= TARGET_BYTES_PER_CLIENT_SEC,
    ),
  ];
}

function printTable(results: RoomsResult[], variants: readonly Variant[]): void {
  const head = [
    'rooms',
    'variant',
    'CPU ms/room·s',
    'min–max',
    'server CPU',
    'RSS MiB',
    'KiB/room',
    'B/client·s player',
    'spectator',
    'snap/s',
    'snap gap p50/p99 ms',
    'tick late p50/p99 ms',
    'ticks/s',
    'gen CPU',
    'core noise',
    'trusted',
  ];
  const rows: string[][] = [];
  const blank = (filled: number) => new Array<string>(head.length - filled).fill('');
  for (const x of results) {
    for (const v of variants) {
      const s = x[v];
      if (!s) continue;
      rows.push([
        String(x.rooms),
        v,
        s.cpuMsPerRoomSec.toFixed(3),
        `${s.cpuMsPerRoomSecRange.min.toFixed(3)}–${s.cpuMsPerRoomSecRange.max.toFixed(3)}`,
        `${s.serverCpuPct.toFixed(1)}%`,
        s.rssMib.toFixed(1),
        s.kibPerRoom.toFixed(1),
        s.bytesPerClientSec.player.toFixed(0),
        s.bytesPerClientSec.spectator.toFixed(0),
        s.snapshotsPerClientSec.player.toFixed(1),
        `${s.snapshotIntervalMs.p50.toFixed(1)} / ${s.snapshotIntervalMs.p99.toFixed(1)}`,
        `${s.tickLatenessMs.p50.toFixed(2)} / ${s.tickLatenessMs.p99.toFixed(2)}`,
        s.ticksPerSec.toFixed(1),
        `${s.loadGenCpuPct.toFixed(0)}%`,
        s.otherLoadOnServerCpuPct === null ? '-' : `${s.otherLoadOnServerCpuPct.toFixed(0)}%`,
        s.trusted ? 'yes' : 'NO',
      ]);
    }
    for (const v of variants) {
      const ratio = x.cpuRatios[v];
      if (ratio !== undefined) rows.push(['', `${v}/floor`, `${ratio.toFixed(2)}×`, ...blank(3)]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd : c.padStart).call(c, widths[i] ?? 0)).join('  ');
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

/** ours against ours-engine at every R where both ran: the figure that decides the direct path. */
function printFanout(results: RoomsResult[]): void {
  const compared = results.filter((x) => x.fanout !== null);
  if (compared.length === 0) return;
  const mode = (compared[0]?.fanout as FanoutComparison).oursMode;
  console.log(
    `\nsnapshot fan-out: ours (${mode}) vs ours-engine (engine), server CPU ms/room·s, min–max over passes:`,
  );
  if (mode === 'engine')
    console.log('  ! ours already runs engine by default: this compares engine with itself');
  const range = (s: { mean: number; min: number; max: number }) =>
    `${s.mean.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
  for (const x of compared) {
    const f = x.fanout as FanoutComparison;
    console.log(
      `  R=${x.rooms}  ours ${range(f.ours)}  ours-engine ${range(f.oursEngine)}  ` +
        `ours/ours-engine ${f.cpuRatio.toFixed(3)}×`,
    );
    console.log(`         per pass: ${f.perPass.map((p) => `${p.ratio.toFixed(3)}×`).join(', ')}`);
    console.log(`         ${fanoutVerdict(f)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Main

/** The main bench's pins: the one-node case of the cluster bench's layout. */
function choosePins(): Pins {
  const layout = clusterCpuLayout(allowedCpus(), 1, hasTaskset());
  return { server: layout.nodes[0] ?? null, loadGen: layout.loadGen };
}

/** Runs one variant's server under `node --cpu-prof` and prints where its CPU went. */
async function profile(variant: Variant, opts: Options, pins: Pins): Promise<void> {
  const rooms = Math.max(...opts.rooms);
  // A folder per run: a loader thread (the floor's tsx) writes a profile of its own next to the main one.
  const dir = join(
    ROOT,
    PROFILE_DIR,
    `${variant}-R${rooms}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  );
  mkdirSync(dir, { recursive: true });
  const res = await runOnce({
    variant,
    rooms,
    pass: 1,
    position: 1,
    opts: { ...opts, passes: 1 },
    pins,
    serverNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  // Node names each profile CPU.<date>.<time>.<pid>.<thread>.<seq>: thread 0 is the main thread
  // (the others are a loader's or the store's worker).
  const main = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const path = main === undefined ? undefined : join(dir, main);
  if (!path) throw new Error(`no profile written in ${relative(ROOT, dir)}`);
  const summary = summariseCpuProfile(path, 30);
  console.log(`\nprofile: ${relative(ROOT, path)} (whole process life: start-up and joins included)`);
  console.log(
    `window: server CPU ${res.serverCpuPct}% of a core, ${res.cpuMsPerRoomSec} ms/room·s (profiler on)`,
  );
  console.log(`busy ${summary.totalMs.toFixed(0)} ms (idle left out); self time by area:`);
  for (const a of summary.areas.slice(0, 15)) console.log(`  ${a.pct.toFixed(1).padStart(5)}%  ${a.name}`);
  console.log('top functions by self time:');
  for (const f of summary.functions) {
    console.log(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
  writeFileSync(path.replace(/\.cpuprofile$/, '.summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

/** The fan-out mode the build uses by default (what `ours` runs with), read from the build itself. */
async function buildFanoutMode(): Promise<string> {
  const built: unknown = await import(pathToFileURL(join(ROOT, CONFIG_ENTRY)).href);
  const mode = (built as { DEFAULT_CONFIG?: { snapshotFanout?: unknown } }).DEFAULT_CONFIG?.snapshotFanout;
  if (typeof mode !== 'string') throw new Error(`${CONFIG_ENTRY} has no DEFAULT_CONFIG.snapshotFanout`);
  return mode;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!hasProcFs()) throw new Error('the bench reads server CPU from /proc: it runs on Linux only');
  await ensureServerBuild(opts.skipBuild);
  const oursMode = await buildFanoutMode();
  if (opts.nodes !== null) {
    const cpus = clusterCpuLayout(allowedCpus(), opts.nodes, hasTaskset());
    console.log(`bench --nodes ${opts.nodes}: ${describeCpuLayout(cpus)}`);
    await runClusterBench({
      root: ROOT,
      rooms: opts.rooms,
      nodes: opts.nodes,
      seconds: opts.seconds,
      warmupS: opts.warmupS,
      passes: opts.passes,
      out: opts.out,
      cpus,
      redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
      profileDir: opts.profile ? join(ROOT, PROFILE_DIR) : null,
    });
    return;
  }
  const pins = choosePins();
  console.log(
    pins.server === null
      ? 'bench: taskset or a second CPU is missing: processes are not pinned (figures are noisier)'
      : `bench: server pinned to CPU ${pins.server}, load generator to CPU ${pins.loadGen}`,
  );
  if (opts.profile) {
    for (const variant of opts.variants) await profile(variant, opts, pins);
    return;
  }

  const startedAt = new Date();
  const loadBefore = loadavg();
  const results: RoomsResult[] = [];
  for (const rooms of opts.rooms) {
    const passes = new Map<Variant, PassResult[]>(opts.variants.map((v) => [v, []]));
    const order: Variant[][] = [];
    for (let pass = 1; pass <= opts.passes; pass++) {
      const thisPass = passOrder(opts.variants, pass);
      order.push(thisPass);
      for (const [i, variant] of thisPass.entries()) {
        const res = await runOnce({ variant, rooms, pass, position: i + 1, opts, pins });
        for (const p of res.problems) console.log(`  ! ${p}`);
        for (const w of res.warnings) console.log(`  ~ ${w}`);
        passes.get(variant)?.push(res);
      }
    }
    results.push(roomsResult(rooms, order, passes, oursMode));
  }

  printTable(results, opts.variants);
  printFanout(results);
  const largest = results[results.length - 1] as RoomsResult;
  const checks = targets(results, pins);
  console.log('\ntargets:');
  for (const t of checks) {
    const notes = [t.note, t.trusted ? null : 'figures NOT trusted'].filter((n) => n !== null);
    console.log(
      `  ${t.pass ? 'pass' : 'FAIL'}  ${t.goal}: ${t.value}${notes.length ? ` (${notes.join('; ')})` : ''}`,
    );
  }
  const trusted = results.every((x) => opts.variants.every((v) => x[v]?.trusted ?? true));
  if (!trusted) console.log('\nSome figures are NOT trusted (see the "!" lines above).');
  const fanoutAt = atRooms(results, TARGET_ROOMS).fanout;

  const report = {
    generatedAt: startedAt.toISOString(),
    durationS: r((Date.now() - startedAt.getTime()) / 1000, 0),
    largestRooms: largest.rooms,
    cpuRatio: largest.cpuRatio,
    cpuRatios: largest.cpuRatios,
    bytesPerClientSec: downstream(largest.ours),
    tickLatenessP99Ms: largest.ours.tickLatenessMs.p99,
    ticksPerSec: largest.ours.ticksPerSec,
    trusted,
    targets: checks,
    /** ours vs ours-engine at R=200 (or the largest R), when both ran; every R's is in results. */
    fanout: fanoutAt === null ? null : { rooms: atRooms(results, TARGET_ROOMS).rooms, ...fanoutAt },
    config: {
      rooms: opts.rooms,
      windowS: opts.seconds,
      warmupS: opts.warmupS,
      passes: opts.passes,
      variants: opts.variants,
      order: 'each pass runs every variant once, the list rotated one place per pass',
      oursSnapshotFanout: oursMode,
      tickHz: DEFAULT_TICK_HZ,
      snapshotHz: DEFAULT_SNAPSHOT_HZ,
      pointsToWin: BENCH_POINTS_TO_WIN,
      clientsPerRoom: { players: 2, spectators: 1 },
      inputsPerPlayerSec: DEFAULT_TICK_HZ / 3,
      cpuSource: '/proc/<pid>/stat utime+stime of the server process over the window',
    },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      node: process.version,
      pinned: pins,
      loadavgBefore: loadBefore.map((l) => r(l)),
      loadavgAfter: loadavg().map((l) => r(l)),
    },
    results,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${relative(ROOT, opts.out)}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const c of liveChildren()) c.kill('SIGKILL');
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  for (const c of liveChildren()) c.kill('SIGKILL');
  process.exit(1);
});
