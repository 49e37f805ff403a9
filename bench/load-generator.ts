/**
 * Load generator (child process of bench/run.ts): R rooms × (2 players + 1 spectator) over
 * WebSocket, against our server (raw socket.io protocol) or the floor (its own protocol). Players
 * send an input every INPUT_EVERY_TICKS ticks, alternating up/down, like the browser client does.
 * Every input of every player goes out from one fixed-step timer; nothing here has a timer per
 * client. Talks to the runner over IPC: `joined` once every client is in, then one `window` report
 * per window-start/window-end pair.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_SNAPSHOT_HZ, DEFAULT_TICK_HZ } from '../shared/constants.ts';
import { PROTOCOL_VERSION, type JoinResult, type Role } from '../shared/protocol/messages.ts';
import type { Intent } from '../shared/sim/types.ts';
import { FloorClient, RawSocketIoClient, type BenchClient, type ClientListener } from './lib/bench-client.ts';
import {
  isVariant,
  protocolOf,
  type ClientGroupStats,
  type ClientRole,
  type LoadGenMessage,
  type LoadGenWindowStats,
  type RunnerMessage,
  type Variant,
} from './lib/messages.ts';
import { LinearHistogram } from './lib/stats.ts';

/** A browser client batches 3 ticks of input per message: 20 messages/s at 60 Hz. */
const INPUT_EVERY_TICKS = 3;
const JOIN_CONCURRENCY = 16;
const REQUEST_TIMEOUT_MS = 15_000;
/** Above this share of one core, or this event-loop delay, the generator is the bottleneck. */
const SATURATED_CPU_PCT = 85;
const SATURATED_LOOP_DELAY_MS = 25;
/** Sending fewer inputs than this share of the fixed rate means the input loop fell behind. */
const SATURATED_INPUTS_SENT_FRACTION = 0.95;
const LOOP_PROBE_RESOLUTION_MS = 10;
const MAX_CATCH_UP_TICKS = 5;

interface Player {
  client: BenchClient;
  seq: number;
  intent: Intent;
}

interface WindowStart {
  atMs: number;
  cpu: NodeJS.CpuUsage;
  bytes: Record<ClientRole, number>;
  snapshots: Record<ClientRole, number>;
  inputsSent: number;
}

class LoadGenerator implements ClientListener {
  private readonly players: Player[] = [];
  private readonly clients: BenchClient[] = [];
  private readonly snapshots: Record<ClientRole, number> = { player: 0, spectator: 0 };
  private readonly intervals = new LinearHistogram(0.1, 1000);
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_PROBE_RESOLUTION_MS });
  private window: WindowStart | null = null;
  private inputsSent = 0;
  private disconnects = 0;
  private serverErrors = 0;
  private badFrames = 0;
  private tick = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastServerError = '';

  constructor(
    private readonly variant: Variant,
    private readonly url: string,
    private readonly rooms: number,
    private readonly tickHz: number,
    /** Several nodes behind HAProxy: room i's three clients all connect to nodes[i % n] (`?node=`). */
    private readonly nodes: readonly string[] = [],
  ) {}

  // --- ClientListener: called for every frame, so no allocation here.
  snapshot(client: BenchClient): void {
    const t = performance.now();
    if (this.window !== null && client.lastSnapshotMs >= 0) this.intervals.record(t - client.lastSnapshotMs);
    client.lastSnapshotMs = t;
    this.snapshots[client.role] += 1;
  }

  badFrame(): void {
    this.badFrames += 1;
  }

  serverError(_client: BenchClient, text: string): void {
    this.serverErrors += 1;
    this.lastServerError = text.slice(0, 200);
  }

  closed(): void {
    this.disconnects += 1;
  }

  /**
   * Seats every room, JOIN_CONCURRENCY rooms at a time; inputs start as soon as a room is full.
   * A room's three clients connect at once (only their seating is ordered), so 1,500 clients
   * (R = 500) join in a fraction of the runner's join timeout even while the seated rooms play.
   */
  async join(): Promise<void> {
    this.startInputs();
    let next = 0;
    const worker = async () => {
      while (next < this.rooms) await this.joinRoom(next++);
    };
    await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, this.rooms) }, worker));
  }

  private async joinRoom(room: number): Promise<void> {
    const members: [BenchClient, BenchClient, BenchClient] =
      protocolOf(this.variant) === 'socket.io' ? await this.joinOurs(room) : await this.joinFloor(room);
    this.clients.push(...members);
    this.players.push({ client: members[0], seq: 0, intent: -1 }, { client: members[1], seq: 0, intent: 1 });
  }

  private async joinOurs(room: number): Promise<[BenchClient, BenchClient, BenchClient]> {
    const auth = { v: PROTOCOL_VERSION };
    const node = this.nodes.length > 0 ? (this.nodes[room % this.nodes.length] as string) : null;
    const query: Record<string, string> = node ? { node } : {};
    const connect = () => RawSocketIoClient.connect(this.url, auth, this, REQUEST_TIMEOUT_MS, query);
    const enter = async (client: RawSocketIoClient, event: string, payload: unknown, role: Role) => {
      const res = (await client.request(event, payload, REQUEST_TIMEOUT_MS)) as JoinResult;
      if (!res.ok) throw new Error(`${event} in room ${room}: ${res.error}`);
      if (res.role !== role) throw new Error(`${event} in room ${room}: got ${res.role}, wanted ${role}`);
      // The room must live where its clients are: a snapshot never crosses nodes.
      if (node && res.node !== node)
        throw new Error(`${event} in room ${room}: on ${res.node}, wanted ${node}`);
      client.role = role === 'spectator' ? 'spectator' : 'player';
      return res;
    };
    const [left, right, watcher] = await all([connect(), connect(), connect()]);
    const created = await enter(left, 'room:create', { nickname: `bench ${room} L` }, 'left');
    const code = created.code;
    if (code === null) throw new Error(`room:create in room ${room}: no code`);
    // In this order: the first to join takes the free seat, the next one watches.
    await enter(right, 'room:join', { code, nickname: `bench ${room} R` }, 'right');
    await enter(watcher, 'room:join', { code, nickname: `bench ${room} S` }, 'spectator');
    return [left, right, watcher];
  }

  private async joinFloor(room: number): Promise<[BenchClient, BenchClient, BenchClient]> {
    const join = (seat: 'left' | 'right' | 'spectator') =>
      FloorClient.join(this.url, room, seat, this, REQUEST_TIMEOUT_MS);
    return all([join('left'), join('right'), join('spectator')]);
  }

  /** One fixed-step loop at the tick rate; each tick, a third of the players send their batch. */
  private startInputs(): void {
    const periodMs = 1000 / this.tickHz;
    let nextMs = performance.now() + periodMs;
    const loop = () => {
      const now = performance.now();
      let ran = 0;
      while (now >= nextMs && ran < MAX_CATCH_UP_TICKS) {
        this.sendInputs(this.tick++);
        nextMs += periodMs;
        ran += 1;
      }
      if (now >= nextMs) nextMs = now + periodMs;
      this.timer = setTimeout(loop, Math.max(0, nextMs - performance.now()));
    };
    this.timer = setTimeout(loop, periodMs);
  }

  private sendInputs(tick: number): void {
    const group = tick % INPUT_EVERY_TICKS;
    for (let i = group; i < this.players.length; i += INPUT_EVERY_TICKS) {
      const p = this.players[i] as Player;
      p.seq += INPUT_EVERY_TICKS;
      p.intent = p.intent === 1 ? -1 : 1;
      p.client.sendInput(p.seq, p.intent, INPUT_EVERY_TICKS);
      this.inputsSent += 1;
    }
  }

  startWindow(): void {
    this.intervals.reset();
    this.loopDelay.reset();
    this.window = {
      atMs: performance.now(),
      cpu: process.cpuUsage(),
      bytes: this.bytesByRole(),
      snapshots: { ...this.snapshots },
      inputsSent: this.inputsSent,
    };
  }

  endWindow(): LoadGenWindowStats {
    const w = this.window;
    if (!w) throw new Error('window-end without window-start');
    this.window = null;
    const windowMs = performance.now() - w.atMs;
    const cpu = process.cpuUsage(w.cpu);
    const inputsSent = this.inputsSent - w.inputsSent;
    const inputsDue = ((this.players.length * this.tickHz) / INPUT_EVERY_TICKS) * (windowMs / 1000);
    const cpuPct = ((cpu.user + cpu.system) / 1000 / windowMs) * 100;
    const loopDelayP99Ms = Math.max(0, this.loopDelay.percentile(99) / 1e6 - LOOP_PROBE_RESOLUTION_MS);
    const bytes = this.bytesByRole();
    const group = (role: ClientRole): ClientGroupStats => {
      const clients = this.clients.filter((c) => c.role === role).length;
      const b = bytes[role] - w.bytes[role];
      const s = this.snapshots[role] - w.snapshots[role];
      const perClientSec = (n: number) => (clients === 0 ? 0 : n / clients / (windowMs / 1000));
      return {
        clients,
        bytes: b,
        snapshots: s,
        bytesPerClientSec: perClientSec(b),
        snapshotsPerClientSec: perClientSec(s),
      };
    };
    if (this.serverErrors > 0) console.error(`load-generator: server said ${this.lastServerError}`);
    return {
      windowMs,
      player: group('player'),
      spectator: group('spectator'),
      snapshotIntervalMs: {
        p50: this.intervals.percentile(0.5),
        p99: this.intervals.percentile(0.99),
        max: this.intervals.max,
        samples: this.intervals.count,
      },
      inputsSent,
      inputsDue,
      cpuPct,
      loopDelayP99Ms,
      saturated:
        cpuPct > SATURATED_CPU_PCT ||
        loopDelayP99Ms > SATURATED_LOOP_DELAY_MS ||
        inputsSent < inputsDue * SATURATED_INPUTS_SENT_FRACTION,
      disconnects: this.disconnects,
      serverErrors: this.serverErrors,
      badFrames: this.badFrames,
    };
  }

  private bytesByRole(): Record<ClientRole, number> {
    const sum: Record<ClientRole, number> = { player: 0, spectator: 0 };
    for (const c of this.clients) sum[c.role] += c.bytesRead();
    return sum;
  }

  enableLoopProbe(): void {
    this.loopDelay.enable();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.loopDelay.disable();
    for (const c of this.clients) c.close();
  }
}

/** Like Promise.all, but a failure closes the clients that did connect: none is left open behind an error. */
async function all<T extends BenchClient>(pending: [Promise<T>, Promise<T>, Promise<T>]): Promise<[T, T, T]> {
  const [a, b, c] = await Promise.allSettled(pending);
  if (a.status === 'fulfilled' && b.status === 'fulfilled' && c.status === 'fulfilled') {
    return [a.value, b.value, c.value];
  }
  for (const s of [a, b, c]) if (s.status === 'fulfilled') s.value.close();
  throw [a, b, c].flatMap((s) => (s.status === 'rejected' ? [s.reason] : []))[0];
}

function send(msg: LoadGenMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('the load generator runs as a child of bench/run.ts (IPC channel)');
  const { values } = parseArgs({
    options: {
      variant: { type: 'string' },
      url: { type: 'string' },
      rooms: { type: 'string' },
      'tick-hz': { type: 'string', default: String(DEFAULT_TICK_HZ) },
      'snapshot-hz': { type: 'string', default: String(DEFAULT_SNAPSHOT_HZ) },
      nodes: { type: 'string', default: '' },
    },
  });
  const variant = values.variant ?? '';
  if (!isVariant(variant)) throw new Error(`--variant: unknown variant "${variant}"`);
  if (!values.url) throw new Error('--url is required');
  const rooms = Number(values.rooms);
  if (!Number.isInteger(rooms) || rooms < 1) throw new Error('--rooms must be a positive integer');
  const nodes = values.nodes.split(',').filter((n) => n !== '');
  const gen = new LoadGenerator(variant, values.url, rooms, Number(values['tick-hz']), nodes);

  process.on('message', (msg: RunnerMessage) => {
    if (msg.type === 'window-start') gen.startWindow();
    else if (msg.type === 'window-end') send({ type: 'window', stats: gen.endWindow() });
    else if (msg.type === 'stop') {
      gen.stop();
      process.disconnect();
    }
  });
  // The runner going away ends us too.
  process.on('disconnect', () => {
    gen.stop();
  });

  const t0 = performance.now();
  gen.enableLoopProbe();
  await gen.join();
  send({ type: 'joined', clients: rooms * 3, joinMs: performance.now() - t0 });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  send({ type: 'error', message });
  console.error(`load-generator: ${message}`);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
