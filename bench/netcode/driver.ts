import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { connect, type GameSocket } from '../../client/src/net/connection.ts';
import { MatchSession, type MatchView } from '../../client/src/net/match-session.ts';
import { buildApp } from '../../server/app.ts';
import { DEFAULT_CONFIG, type Config } from '../../server/config.ts';
import { decodeSnapshot, unwrap } from '../../shared/codec/snapshot.ts';
import { FIELD_HEIGHT_PX, PADDLE_HEIGHT_PX } from '../../shared/constants.ts';
import type { JoinOk, JoinResult } from '../../shared/protocol/messages.ts';
import type { Intent } from '../../shared/sim/types.ts';
import { seededRandom, startDelayProxy, type LinkProfile, type ProxyStats } from './delay-proxy.ts';
import {
  AuthorityTrack,
  BENCH_STALL_MS,
  distribution,
  type Distribution,
  type FrameRecord,
} from './metrics.ts';

export const FRAME_HZ = 60;
const FRAME_MS = 1000 / FRAME_HZ;
/** The scripted player changes intent after a random wait in this range. */
const INTENT_HOLD_MIN_MS = 500;
const INTENT_HOLD_MAX_MS = 1000;
/** Reaching the first rally (join, handshake, countdown) may take this long on a 200 ms link. */
const START_TIMEOUT_MS = 20_000;
const JOIN_TIMEOUT_MS = 10_000;
/** Far more points than a run can score: the match never ends while it is measured. */
const POINTS_TO_WIN = 99;

export interface Condition {
  name: string;
  link: LinkProfile;
  /** Corrections are targeted at zero only on links without loss. */
  lossy: boolean;
}

export const CONDITIONS: readonly Condition[] = [
  { name: 'rtt50', link: { rttMs: 50, jitterMs: 10, stall: null }, lossy: false },
  { name: 'rtt100', link: { rttMs: 100, jitterMs: 10, stall: null }, lossy: false },
  { name: 'rtt200', link: { rttMs: 200, jitterMs: 10, stall: null }, lossy: false },
  {
    name: 'rtt100-loss',
    link: { rttMs: 100, jitterMs: 10, stall: { everyMinMs: 2000, everyMaxMs: 4000, durationMs: 200 } },
    lossy: true,
  },
];

/**
 * How the two players meet. `quick`: both use the quick-match queue and are seated together by the
 * server (the lobby's main path). `creator`: the scripted player creates a private room and the
 * opponent joins with its code. `joiner`: the other way round.
 */
export const FLOWS = ['quick', 'creator', 'joiner'] as const;
export type Flow = (typeof FLOWS)[number];

export interface CorrectionRecord {
  atMs: number;
  /** Signed: where reconciliation put the own paddle minus where prediction had it. */
  px: number;
}

export interface ConditionRun {
  condition: Condition;
  flow: Flow;
  measuredSeconds: number;
  frames: FrameRecord[];
  corrections: CorrectionRecord[];
  track: AuthorityTrack;
  /** Frames that ran 0 prediction ticks, and 2 or more (the frame timer against the tick clock). */
  zeroTickFrames: number;
  multiTickFrames: number;
  frameIntervalMs: Distribution;
  /** Frame times (ms from the first measured frame) after a gap longer than BENCH_STALL_MS. */
  benchStallsAtMs: number[];
  eventLoopDelayMs: { p99: number; max: number };
  minRttMs: number | null;
  snapshotsReceived: number;
  starvedFrames: number;
  scores: [number, number];
  proxy: Omit<ProxyStats, 'releaseLatenessMs'>;
  /** The proxy's lateness against its own schedule (see ProxyStats). */
  proxyReleaseLatenessMs: Distribution;
}

/** Picks an intent every 0.5–1 s: towards its own view of the ball when that is a change, else a stop. */
class ScriptedPlayer {
  intent: Intent = 0;
  private nextChangeMs: number | null = null;

  constructor(private readonly random: () => number) {}

  decide(nowMs: number, view: MatchView | null, seat: 0 | 1): Intent {
    if (!view || (view.phase !== 'playing' && view.phase !== 'countdown')) return this.intent;
    if (this.nextChangeMs === null) this.nextChangeMs = nowMs + this.hold();
    if (nowMs < this.nextChangeMs) return this.intent;
    this.nextChangeMs = nowMs + this.hold();
    const y = view.paddles[seat];
    const half = PADDLE_HEIGHT_PX / 2;
    const candidates = ([-1, 0, 1] as const).filter(
      (i) => i !== this.intent && !(i < 0 && y <= half + 1) && !(i > 0 && y >= FIELD_HEIGHT_PX - half - 1),
    );
    const dy = view.ball.y - y;
    const toward: Intent = Math.abs(dy) < 20 ? 0 : dy < 0 ? -1 : 1;
    const pick: Intent = candidates.includes(toward)
      ? toward
      : candidates.includes(0)
        ? 0
        : (candidates[Math.floor(this.random() * candidates.length)] ?? 0);
    this.intent = pick;
    return pick;
  }

  private hold(): number {
    return INTENT_HOLD_MIN_MS + this.random() * (INTENT_HOLD_MAX_MS - INTENT_HOLD_MIN_MS);
  }
}

/** The opponent keeps its paddle under its own (interpolated) view of the ball, so rallies happen. */
function trackBall(view: MatchView | null, seat: 0 | 1): Intent {
  if (!view) return 0;
  const dy = view.ball.y - view.paddles[seat];
  return Math.abs(dy) < 10 ? 0 : dy < 0 ? -1 : 1;
}

function seatOf(session: MatchSession): 0 | 1 {
  if (session.role === 'left') return 0;
  if (session.role === 'right') return 1;
  throw new Error('a player was seated as a spectator');
}

/** One browser tab: a socket, and once seated, the MatchSession the page would create. */
class BenchClient {
  session: MatchSession | null = null;
  join: JoinOk | null = null;
  view: MatchView | null = null;
  /** Signed own-paddle corrections not yet attributed to a frame. */
  pendingCorrectionPx = 0;
  readonly corrections: CorrectionRecord[] = [];
  private yBeforeSnapshot = 0;
  private readonly seated: Promise<void>;
  private resolveSeated!: () => void;

  constructor(readonly socket: GameSocket) {
    this.seated = new Promise((resolve) => (this.resolveSeated = resolve));
    // Around the session's own snapshot listener (registered in between, on seating), so the
    // signed size of each reconciliation is known.
    socket.on('snapshot', () => {
      this.yBeforeSnapshot = this.session?.predictor?.y ?? 0;
    });
    socket.on('queue:matched', (join) => this.enter(join));
  }

  /** Builds the session synchronously, as the page does, before the join's full snapshot can arrive. */
  enter(join: JoinOk): void {
    if (this.session) return;
    this.join = join;
    this.session = new MatchSession(this.socket, join, () => performance.now());
    this.session.startPinging();
    this.socket.on('snapshot', () => {
      const p = this.session?.predictor;
      if (!p) return;
      const d = p.y - this.yBeforeSnapshot;
      if (p.lastCorrectionPx > 0.01) {
        this.corrections.push({ atMs: performance.now(), px: d });
        this.pendingCorrectionPx += d;
      }
    });
    this.resolveSeated();
  }

  waitSeated(): Promise<void> {
    return withTimeout(this.seated, 'seat');
  }

  request(send: (ack: (res: JoinResult) => void) => void): Promise<void> {
    return withTimeout(
      new Promise<void>((resolve, reject) =>
        send((res) => {
          if (!res.ok) return reject(new Error(`join failed: ${res.error}`));
          this.enter(res);
          resolve();
        }),
      ),
      'join',
    );
  }

  dispose(): void {
    this.session?.dispose();
    this.socket.close();
  }
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), JOIN_TIMEOUT_MS);
  });
  return Promise.race([p, deadline]).finally(() => timer && clearTimeout(timer));
}

function waitConnected(socket: GameSocket): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return withTimeout(new Promise<void>((resolve) => socket.once('connect', () => resolve())), 'connect');
}

/** Seats the two players the way `flow` says. */
async function seatPlayers(flow: Flow, me: BenchClient, other: BenchClient): Promise<string> {
  if (flow === 'quick') {
    for (const c of [me, other]) {
      await withTimeout(
        new Promise<void>((resolve, reject) =>
          c.socket.emit('queue:join', { nickname: c === me ? 'scripted' : 'bot' }, (res) =>
            res.ok ? resolve() : reject(new Error(`queue:join failed: ${res.error}`)),
          ),
        ),
        'queue:join',
      );
    }
    await Promise.all([me.waitSeated(), other.waitSeated()]);
  } else {
    const [first, second] = flow === 'creator' ? [me, other] : [other, me];
    await first.request((ack) => first.socket.emit('room:create', { nickname: 'first' }, ack));
    const code = first.join?.code;
    if (!code) throw new Error('room:create answered without a room code');
    await second.request((ack) => second.socket.emit('room:join', { code, nickname: 'second' }, ack));
  }
  const code = me.join?.code;
  if (!code) throw new Error('the scripted player got no room code');
  return code;
}

/**
 * One condition, end to end: a fresh in-process server (same process, so the server clock is this
 * process's performance.now() and the true clock offset is 0), a delay proxy in front of it, two
 * players through the proxy on WebSocket (the scripted one is measured, the other tracks the ball),
 * and a spectator connected directly whose snapshots are the authority. One 60 Hz frame loop runs
 * from before the players are seated, as the page's does, and calls frame() on every session.
 */
export async function runCondition(
  condition: Condition,
  seconds: number,
  seed: number,
  flow: Flow = 'quick',
): Promise<ConditionRun> {
  const config: Config = {
    ...DEFAULT_CONFIG,
    port: 0,
    host: '127.0.0.1',
    pointsToWin: POINTS_TO_WIN,
    clientDir: null,
    logLevel: 'silent',
  };
  const app = await buildApp(config, { store: null });
  const cleanups: (() => unknown)[] = [() => app.close()];
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  try {
    await app.http.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.http.server.address() as AddressInfo;
    const proxy = await startDelayProxy(port, condition.link, seed);
    cleanups.push(() => proxy.close());
    const open = (url: string): GameSocket => {
      const s = connect(url, { transport: 'websocket' });
      cleanups.push(() => s.close());
      return s;
    };
    const me = new BenchClient(open(proxy.url));
    const other = new BenchClient(open(proxy.url));
    cleanups.push(
      () => me.dispose(),
      () => other.dispose(),
    );
    const observer = open(`http://127.0.0.1:${port}`);
    const track = new AuthorityTrack();
    let lastServerTime: number | null = null;
    observer.on('snapshot', (bytes) => {
      const snap = decodeSnapshot(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
      const t = unwrap(snap.serverTimeMs, lastServerTime ?? snap.serverTimeMs, 32);
      lastServerTime = t;
      track.add({ ...snap, serverTimeMs: t });
    });
    await Promise.all([waitConnected(me.socket), waitConnected(other.socket), waitConnected(observer)]);

    const script = new ScriptedPlayer(seededRandom(seed ^ 0x5eed));
    const frames: FrameRecord[] = [];
    const intervals: number[] = [];
    const benchStallsAtMs: number[] = [];
    let zeroTickFrames = 0;
    let multiTickFrames = 0;
    let startStarved = 0;
    let measureFromMs: number | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let finish: (() => void) | null = null;
    let fail: ((err: Error) => void) | null = null;
    cleanups.push(() => timer && clearTimeout(timer));
    const startedMs = performance.now();
    let k = 0;
    let prevNow: number | null = null;

    const frame = () => {
      timer = null;
      const now = performance.now();
      const ps = me.session;
      if (ps?.predictor) {
        const seat = seatOf(ps);
        const intent = script.decide(now, me.view, seat);
        const seqBefore = ps.predictor.lastSeq;
        me.view = ps.frame(now, intent);
        const ticks = ps.predictor.lastSeq - seqBefore;
        const corrected = me.pendingCorrectionPx;
        me.pendingCorrectionPx = 0;
        if (measureFromMs === null && me.view?.phase === 'playing') {
          measureFromMs = now;
          startStarved = ps.buffer.starvedFrames;
          loopDelay.reset();
        }
        if (measureFromMs !== null && me.view) {
          const serverNow = ps.clock.serverNow(now);
          const delayMs = ps.buffer.delayMs;
          const renderMs = serverNow - delayMs;
          frames.push({
            nowMs: now,
            renderMs,
            ball: { x: me.view.ball.x, y: me.view.ball.y },
            ownY: me.view.paddles[seat],
            correctedPx: corrected,
            intent,
            ticks,
            held: renderMs >= (ps.buffer.newest?.serverTimeMs ?? Infinity),
            delayMs,
            clockErrorMs: serverNow - now,
          });
          if (prevNow !== null) {
            intervals.push(now - prevNow);
            if (now - prevNow > BENCH_STALL_MS) benchStallsAtMs.push(Math.round(now - measureFromMs));
          }
          if (ticks === 0) zeroTickFrames += 1;
          if (ticks > 1) multiTickFrames += 1;
          prevNow = now;
        }
      }
      if (other.session) other.view = other.session.frame(now, trackBall(other.view, seatOf(other.session)));
      if (measureFromMs !== null && now - measureFromMs >= seconds * 1000) return finish?.();
      if (measureFromMs === null && now - startedMs > START_TIMEOUT_MS) {
        return fail?.(new Error(`${condition.name}: no rally started within ${START_TIMEOUT_MS} ms`));
      }
      // A fixed 60 Hz grid, like display refreshes: a late frame is not made up for.
      k = Math.max(k + 1, Math.floor((performance.now() - startedMs) / FRAME_MS) + 1);
      timer = setTimeout(frame, Math.max(0, startedMs + k * FRAME_MS - performance.now()));
    };
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    loopDelay.enable();
    frame();

    const code = await seatPlayers(flow, me, other);
    await withTimeout(
      new Promise<void>((resolve, reject) =>
        observer.emit('room:join', { code, nickname: 'observer' }, (res: JoinResult) =>
          res.ok && res.role === 'spectator' ? resolve() : reject(new Error('observer could not join')),
        ),
      ),
      'observer join',
    );
    await done;
    loopDelay.disable();

    const from = measureFromMs ?? 0;
    const last = track.last;
    const ps = me.session as MatchSession;
    return {
      condition,
      flow,
      measuredSeconds: ((frames.at(-1)?.nowMs ?? from) - from) / 1000,
      frames,
      corrections: me.corrections.filter((c) => c.atMs >= from),
      track,
      zeroTickFrames,
      multiTickFrames,
      frameIntervalMs: distribution(intervals),
      benchStallsAtMs,
      eventLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
      minRttMs: ps.clock.minRttMs,
      snapshotsReceived: ps.snapshotsReceived,
      starvedFrames: ps.buffer.starvedFrames - startStarved,
      scores: last ? [last.scores[0], last.scores[1]] : [0, 0],
      proxy: {
        connections: proxy.stats.connections,
        chunks: proxy.stats.chunks,
        stalledChunks: proxy.stats.stalledChunks,
        reorderHeldChunks: proxy.stats.reorderHeldChunks,
      },
      proxyReleaseLatenessMs: distribution(proxy.stats.releaseLatenessMs),
    };
  } finally {
    loopDelay.disable();
    for (const fn of cleanups.reverse()) await fn();
  }
}
