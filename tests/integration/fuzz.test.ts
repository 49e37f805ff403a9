import { randomInt } from 'node:crypto';
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_HTTP_BUFFER_BYTES } from '../../server/app.ts';
import { SOCKET_MESSAGES_PER_S } from '../../server/gateway/rate-limiter.ts';
import type { Snapshot } from '../../shared/codec/snapshot.ts';
import type { Intent } from '../../shared/sim/types.ts';
import {
  CLIENT_EVENTS,
  createRoomSchema,
  ERROR_MESSAGES,
  ErrorCode,
  practiceSchema,
  queueSchema,
  type ErrorPayload,
} from '../../shared/protocol/index.ts';
import {
  closeClient,
  SnapshotLog,
  waitFor,
  waitForSnapshot,
  type GameClient,
  type UntypedClient,
} from '../support/client.ts';
import { createRoom, joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';
import { followBall, pollUntil, Rng, scrapeMetrics, withDeadline } from '../support/resilience.ts';
import type { TestServer } from '../support/server.ts';

const env = useTestEnv();

/** Replay a failing run with FUZZ_SEED=<seed>. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);

/** Clients that stay under the rate limit, so every one of their messages is answered on its own. */
const PACED_CLIENTS = 45;
const MESSAGES_PER_PACED_CLIENT = 230;
/** Of the paced clients, this many watch the legitimate match while they misbehave. */
const SPECTATING_CLIENTS = 6;
/**
 * Well below the server's limits (rate-limiter.ts), and with almost none of its burst: the server
 * counts a message when it gets to it, so a busy machine that delays some messages and not others
 * must not push a paced client over the limit (its unacknowledged excess would go unanswered).
 */
const PACE_PER_S = SOCKET_MESSAGES_PER_S * 0.75;
const PACE_BURST = 20;
/** Messages a paced client may have unanswered at once. */
const PACE_WINDOW = 32;
/** Every frame of a paced message stays this far under the server's buffer limit. */
const PACED_FRAME_MAX_BYTES = MAX_HTTP_BUFFER_BYTES - 600;
const FLOODERS = 2;
const MESSAGES_PER_FLOODER = 1_500;
const RAW_MESSAGES_PER_CLIENT = 20;
const FUZZ_DEADLINE_MS = 30_000;

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));
/** Names socket.io-client refuses to emit; raw WebSocket clients send them instead. */
const CLIENT_RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);
const KNOWN_EVENTS = CLIENT_EVENTS;
const ODD_EVENT_NAMES = [
  'cheat',
  'room:destroy',
  'admin:kick',
  'snapshot',
  'server:error',
  'room:state',
  'server:restarting',
  'error',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '',
  ' ',
  'INPUT',
  'input ',
  'room:join\u0000',
  '\u202eniop:moor',
  '💥',
  'x'.repeat(200),
];
const NASTY_STRINGS = [
  'NaN',
  '-NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-0',
  '0x7fffffff',
  '9007199254740993',
  '',
  ' ',
  'null',
  'undefined',
  'true',
  '__proto__',
  '{"__proto__":{"polluted":true}}',
  '\u0000\u0001\u0007',
  '\u202e\u200b',
  '\ud800',
  '<script>alert(1)</script>',
  '%s%s%s%n',
  '../../etc/passwd',
  'AAAAAAAAAAAA',
  'A'.repeat(1_000),
];
const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  2,
  -2,
  30,
  31,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e308,
  // These three travel as null: JSON has no NaN or Infinity.
  NaN,
  Infinity,
  -Infinity,
];
const NASTY_KEYS = ['code', 'nickname', 'token', 'id', 'play', 'level', '__proto__', 'constructor', 'v', ''];

/** One hostile message and where its answer is due: its ack, or a `server:error` event. */
interface HostileMessage {
  event: string;
  args: unknown[];
  ack: boolean;
  answer: 'ack' | 'error';
}

function randomString(rng: Rng): string {
  const alphabet = 'aZ09:_-/ \u0000\u001f\u007f\u00e9\u4e2d\u{1f4a5}\u202e"\\{}[]';
  const chars = [...alphabet];
  let s = '';
  for (let i = rng.int(0, 24); i > 0; i -= 1) s += rng.pick(chars);
  return s;
}

function randomScalar(rng: Rng): unknown {
  switch (rng.int(0, 5)) {
    case 0:
      return rng.pick(NASTY_NUMBERS);
    case 1:
      return (rng.next() - 0.5) * 10 ** rng.int(0, 300);
    case 2:
      return rng.pick(NASTY_STRINGS);
    case 3:
      return randomString(rng);
    case 4:
      return rng.chance(0.5);
    default:
      return null;
  }
}

/** A deeply nested array or object (hundreds of levels) around a scalar. */
function deepNest(rng: Rng): unknown {
  let v: unknown = randomScalar(rng);
  const asArrays = rng.chance(0.5);
  for (let depth = rng.int(50, asArrays ? 800 : 400); depth > 0; depth -= 1) {
    v = asArrays ? [v] : { a: v };
  }
  return v;
}

function randomValue(rng: Rng, depth = 0): unknown {
  const roll = rng.int(0, depth > 2 ? 1 : 7);
  switch (roll) {
    case 0:
    case 1:
      return randomScalar(rng);
    case 2: {
      const items: unknown[] = [];
      for (let n = rng.int(0, 4); n > 0; n -= 1) items.push(randomValue(rng, depth + 1));
      return items;
    }
    case 3: {
      // fromEntries makes '__proto__' an own key, as JSON.parse does on the server.
      const entries: [string, unknown][] = [];
      for (let n = rng.int(0, 4); n > 0; n -= 1) {
        entries.push([
          rng.chance(0.7) ? rng.pick(NASTY_KEYS) : randomString(rng),
          randomValue(rng, depth + 1),
        ]);
      }
      return Object.fromEntries(entries);
    }
    case 4:
      return deepNest(rng);
    case 5: {
      const bytes = new Uint8Array(rng.int(0, 512));
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = rng.int(0, 255);
      // A leading 0xFE is the server's one-frame snapshot marker.
      if (bytes.length > 0 && rng.chance(0.3)) bytes[0] = 0xfe;
      return bytes;
    }
    case 6:
      // Almost an input tuple.
      return [randomScalar(rng), rng.pick<unknown>([-1, 0, 1, 2, '1', null, 0.5]), randomScalar(rng)];
    default:
      // Almost a request.
      return { [rng.pick(NASTY_KEYS)]: randomScalar(rng), [rng.pick(NASTY_KEYS)]: randomValue(rng, 3) };
  }
}

/** A payload that the event's schema must refuse (requests that could succeed are not hostile). */
function invalidFor(schema: { safeParse(v: unknown): { success: boolean } }, rng: Rng): unknown {
  const v = randomValue(rng);
  return schema.safeParse(v).success ? [v] : v;
}

function randomEventName(rng: Rng): string {
  let name = rng.chance(0.6) ? rng.pick(ODD_EVENT_NAMES) : randomString(rng);
  if (CLIENT_RESERVED.has(name) || KNOWN_EVENTS.has(name)) name = `${name}!`;
  return name;
}

/**
 * A message the server must refuse: an unknown event, or a known one with a payload its schema
 * rejects, without the ack it requires, or that makes no sense from this client (`inRoom`: a
 * spectator of the legitimate match). Requests that would succeed are never generated.
 */
function hostileMessage(rng: Rng, inRoom: boolean): HostileMessage {
  const withArgs = (payload: unknown): unknown[] =>
    rng.chance(0.85) ? [payload] : rng.chance(0.5) ? [] : [payload, randomValue(rng), randomValue(rng)];
  const make = (event: string, args: unknown[], ack: boolean): HostileMessage => ({
    event,
    args,
    ack,
    // The gateway answers input errors with server:error even when an ack was attached.
    answer: ack && event !== 'input' ? 'ack' : 'error',
  });
  const ack = rng.chance(0.5);
  if (rng.chance(0.3)) return make(randomEventName(rng), withArgs(randomValue(rng)), ack);
  switch (rng.int(0, 10)) {
    case 0:
      return make('room:create', withArgs(invalidFor(createRoomSchema, rng)), ack);
    case 1:
      return make('queue:join', withArgs(invalidFor(queueSchema, rng)), ack);
    case 2:
      return make('practice:create', withArgs(invalidFor(practiceSchema, rng)), ack);
    case 3: {
      // Well-formed codes are unknown ones: 72 random bits never hit a live room.
      const code = rng.chance(0.5) ? randomValue(rng) : randomString(rng).padEnd(12, 'A');
      const token = rng.chance(0.5) ? randomScalar(rng) : undefined;
      return make('room:join', withArgs(rng.chance(0.6) ? { code, token } : randomValue(rng)), ack);
    }
    case 4:
      return make(
        'room:watch',
        withArgs(rng.chance(0.5) ? { id: randomScalar(rng) } : randomValue(rng)),
        ack,
      );
    case 5:
      // A spectator's acknowledged leave would succeed.
      return make('room:leave', withArgs(randomValue(rng)), ack && !inRoom);
    case 6:
      return make('room:rematch', withArgs(randomValue(rng)), ack);
    case 7:
      return make('queue:leave', withArgs(randomValue(rng)), ack);
    case 8:
      // Answered with data when acknowledged: hostile only without the ack they need.
      return make(rng.chance(0.5) ? 'lobby:subscribe' : 'time:ping', withArgs(randomValue(rng)), false);
    default: {
      const tuple = [rng.int(0, 1_000), rng.pick<Intent>([-1, 0, 1]), rng.int(1, 30)];
      return make('input', withArgs(rng.chance(0.2) ? tuple : randomValue(rng)), ack);
    }
  }
}

const encoder = new Encoder();

function encode(m: HostileMessage): (string | Uint8Array)[] {
  return encoder.encode({
    type: PacketType.EVENT,
    nsp: '/',
    data: [m.event, ...m.args],
    id: m.ack ? 1 : undefined,
  });
}

/**
 * The arguments as the server decodes them. socket.io's encoder is lossy (undefined fields vanish,
 * NaN becomes null, a "__proto__" key beside binary is dropped), so a payload made invalid here
 * may reach the server valid.
 */
function asDecoded(frames: (string | Uint8Array)[]): unknown[] {
  let data: unknown[] = [];
  const decoder = new Decoder();
  decoder.on('decoded', (packet: Packet) => {
    data = packet.data as unknown[];
  });
  for (const frame of frames) decoder.add(frame);
  decoder.destroy();
  return data.slice(1);
}

/** Requests that would succeed with a valid payload: hostile only when the server sees an invalid one. */
const SCHEMA_OF = new Map<string, { safeParse(v: unknown): { success: boolean } }>([
  ['room:create', createRoomSchema],
  ['queue:join', queueSchema],
  ['practice:create', practiceSchema],
]);

/**
 * A hostile message small enough to reach the handlers (oversize frames are sent on purpose
 * elsewhere) and still hostile once encoded.
 */
function pacedMessage(rng: Rng, inRoom: boolean): HostileMessage {
  for (;;) {
    const m = hostileMessage(rng, inRoom);
    const frames = encode(m);
    const largest = Math.max(
      ...frames.map((f) => (typeof f === 'string' ? Buffer.byteLength(f) + 1 : f.byteLength)),
    );
    if (largest > PACED_FRAME_MAX_BYTES) continue;
    if (SCHEMA_OF.get(m.event)?.safeParse(asDecoded(frames)[0]).success) continue;
    return m;
  }
}

function send(client: UntypedClient, m: HostileMessage, onAck: (res: unknown) => void): void {
  if (m.ack) client.emit(m.event, ...m.args, onAck);
  else client.emit(m.event, ...m.args);
}

/** What one hostile client sent and what came back. */
interface Tally {
  sent: number;
  acks: number;
  errors: number;
  expectedAcks: number;
  expectedErrors: number;
  codes: Map<string, number>;
  /** Answers that were not a well-formed refusal. */
  wrong: unknown[];
}

function newTally(): Tally {
  return { sent: 0, acks: 0, errors: 0, expectedAcks: 0, expectedErrors: 0, codes: new Map(), wrong: [] };
}

function countCode(t: Tally, code: string): void {
  t.codes.set(code, (t.codes.get(code) ?? 0) + 1);
}

function recordAck(t: Tally, res: unknown): void {
  t.acks += 1;
  const r = res as { ok?: unknown; error?: unknown; message?: unknown } | null;
  if (
    r?.ok === false &&
    typeof r.error === 'string' &&
    KNOWN_CODES.has(r.error) &&
    r.message === ERROR_MESSAGES[r.error as ErrorCode]
  ) {
    countCode(t, r.error);
  } else t.wrong.push({ ack: res });
}

function recordError(t: Tally, e: ErrorPayload): void {
  t.errors += 1;
  if (KNOWN_CODES.has(e.code) && e.message === ERROR_MESSAGES[e.code]) countCode(t, e.code);
  else t.wrong.push({ error: e });
}

/**
 * A hostile socket.io client that keeps under the server's rate limit, so each of its messages
 * must be answered on its own. The timer here shapes the load (a client-side token bucket); no
 * assertion waits on it.
 */
class PacedHostile {
  readonly tally = newTally();
  private tokens = PACE_BURST;
  private lastMs = performance.now();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private finish: (() => void) | null = null;
  private fail: ((err: Error) => void) | null = null;
  readonly done: Promise<void>;

  constructor(
    readonly client: UntypedClient,
    private readonly rng: Rng,
    private readonly inRoom: boolean,
    private readonly total: number,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    client.on('server:error', (e: ErrorPayload) => this.answered(() => recordError(this.tally, e)));
    client.on('disconnect', (reason: string) => {
      this.stop();
      this.fail?.(new Error(`paced client ${client.id} was disconnected (${reason}) at ${this.describe()}`));
    });
  }

  get answers(): number {
    return this.tally.acks + this.tally.errors;
  }

  describe(): string {
    const t = this.tally;
    // An acknowledged RATE_LIMITED says the stall came from the limiter (unacknowledged excess is silent).
    const limited = t.codes.get('RATE_LIMITED') ?? 0;
    return `${t.sent} sent, ${t.acks}/${t.expectedAcks} acks, ${t.errors}/${t.expectedErrors} errors, ${limited} RATE_LIMITED`;
  }

  start(): Promise<void> {
    this.pump();
    return this.done;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private answered(record: () => void): void {
    record();
    if (this.answers >= this.total) {
      this.stop();
      this.finish?.();
    } else this.pump();
  }

  private pump(): void {
    const now = performance.now();
    this.tokens = Math.min(PACE_BURST, this.tokens + ((now - this.lastMs) * PACE_PER_S) / 1000);
    this.lastMs = now;
    const t = this.tally;
    while (t.sent < this.total && this.tokens >= 1 && t.sent - this.answers < PACE_WINDOW) {
      const m = pacedMessage(this.rng, this.inRoom);
      this.tokens -= 1;
      t.sent += 1;
      if (m.answer === 'ack') t.expectedAcks += 1;
      else t.expectedErrors += 1;
      send(this.client, m, (res) => this.answered(() => recordAck(t, res)));
    }
    if (t.sent < this.total && this.tokens < 1 && this.timer === null) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        Math.ceil(((1 - this.tokens) * 1000) / PACE_PER_S),
      );
    }
  }
}

/** Sends everything at once; the server must throttle, then disconnect it. */
async function flood(client: UntypedClient, rng: Rng): Promise<Tally & { reason: string }> {
  const t = newTally();
  client.on('server:error', (e: ErrorPayload) => recordError(t, e));
  const cut = waitFor(client as unknown as GameClient, 'disconnect', () => true, 15_000);
  for (let i = 0; i < MESSAGES_PER_FLOODER; i += 1) {
    const m = pacedMessage(rng, false);
    t.sent += 1;
    send(client, m, (res) => recordAck(t, res));
  }
  const [reason] = await cut;
  return { ...t, reason };
}

/** A socket.io session spoken by hand over a raw WebSocket: sends what no socket.io client would. */
class RawSession {
  private readonly frames: { data: string | Buffer; binary: boolean }[] = [];
  private waiter: (() => void) | null = null;
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const frame = { data: isBinary ? (data as Buffer) : data.toString(), binary: isBinary };
      if (frame.data === '2') return ws.send('3');
      this.frames.push(frame);
      this.waiter?.();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.waiter?.();
    });
  }

  static async open(port: number): Promise<RawSession> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const session = new RawSession(ws);
    const open = await session.next();
    if (!String(open).startsWith('0{')) throw new Error(`no engine.io handshake: ${String(open)}`);
    ws.send('40{"v":1}');
    const connected = await session.next();
    if (!String(connected).startsWith('40{')) throw new Error(`no socket.io connect: ${String(connected)}`);
    return session;
  }

  /** The next frame from the server (null once closed); rejects after `timeoutMs`. */
  next(timeoutMs = 5_000): Promise<string | Buffer | null> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame.data);
    if (this.closeCode !== null) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`raw session: nothing from the server within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(this.frames.shift()?.data ?? null);
      };
    });
  }

  /** Resolves with the close code once the server has closed the connection. */
  async closed(timeoutMs = 5_000): Promise<number> {
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame === null) return this.closeCode as number;
    }
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Raw frames that are valid socket.io but hostile, each answered by exactly one frame. */
function rawAnswerable(rng: Rng, id: number): { frame: string | Buffer; answer: RegExp } {
  const error = /^42\["server:error",\{"code":"(UNKNOWN_EVENT|BAD_REQUEST|NOT_IN_ROOM)"/;
  switch (rng.int(0, 5)) {
    case 0:
      // A numeric event name (socket.io-client only sends strings).
      return { frame: `42${JSON.stringify([rng.int(-5, 1e6), randomScalar(rng)])}`, answer: error };
    case 1:
      return {
        frame: `42${id}${JSON.stringify([randomEventName(rng), randomScalar(rng)])}`,
        answer: new RegExp(`^43${id}\\[\\{"ok":false,"error":"UNKNOWN_EVENT"`),
      };
    case 2: {
      // A client posing as the server's one-frame snapshot.
      const bytes = Buffer.alloc(rng.int(1, 64), rng.int(0, 255));
      bytes[0] = 0xfe;
      return { frame: bytes, answer: error };
    }
    case 3:
      // An event packet with no data at all.
      return { frame: '42', answer: error };
    case 4:
      return { frame: `42["input",["NaN","Infinity",${rng.pick(['1e999', '-0', '1'])}]]`, answer: error };
    default:
      return { frame: `42["input",${'['.repeat(500)}1${']'.repeat(500)}]`, answer: error };
  }
}

/** Raw frames the server cannot parse or must not accept: each costs the sender its connection. */
const RAW_FATAL: (string | Buffer)[] = [
  '42["disconnect"]',
  '42["newListener","x"]',
  '42[NaN]',
  '4{',
  '42{"not":"an array"}',
  '42/admin,["x"]',
  '40{"v":1}',
  'x',
  '',
  Buffer.from([1, 2, 3]),
];

/** Oversize messages: each costs its socket.io sender the connection. */
function oversize(): { what: string; event: string; args: unknown[]; polling: boolean }[] {
  // Deep enough to be oversize as JSON, shallow enough for the client's own encoder to survive.
  let nested: unknown = 1;
  for (let i = 0; i < 1_000; i += 1) nested = { a: nested };
  return [
    { what: 'binary one byte over', event: 'input', args: [new Uint8Array(4 * 1024 + 1)], polling: false },
    {
      what: 'binary 64 KiB',
      event: 'room:join',
      args: [{ code: new Uint8Array(64 * 1024) }],
      polling: false,
    },
    { what: 'a 6 KB event name', event: 'e'.repeat(6_000), args: [], polling: false },
    {
      what: 'a 10 KB nickname',
      event: 'room:create',
      args: [{ nickname: 'n'.repeat(10_000) }],
      polling: false,
    },
    { what: '1000 levels of nesting', event: 'input', args: [nested], polling: false },
    { what: 'binary 8 KiB over polling', event: 'cheat', args: [new Uint8Array(8 * 1024)], polling: true },
    { what: 'text 8 KB over polling', event: 'cheat', args: ['t'.repeat(8_000)], polling: true },
  ];
}

/** The legitimate match: rallies while the fuzz runs, then both players let the ball past. */
async function startLegitMatch(server: TestServer) {
  const left = await env.connected(server);
  const right = await env.connected(server);
  const created = await createRoom(left, 'legit-left');
  await joinRoom(right, { code: created.code, nickname: 'legit-right' });
  let rally = true;
  const policy =
    (seat: 0 | 1, wall: Intent) =>
    (s: Snapshot): Intent =>
      rally ? followBall(seat)(s) : wall;
  new PlayerBot(left, { intent: policy(0, 1) }).start();
  new PlayerBot(right, { intent: policy(1, -1) }).start();
  const errors: ErrorPayload[] = [];
  for (const c of [left, right]) c.on('server:error', (e) => errors.push(e));
  const log = new SnapshotLog(left);
  await waitForSnapshot(left, (s) => s.phase === 'playing');
  return {
    code: created.code,
    left,
    right,
    log,
    errors,
    endRally: () => {
      rally = false;
    },
  };
}

describe(`fuzz: hostile clients beside a legitimate match (seed ${SEED})`, () => {
  it('answers every hostile message with an error or a disconnect; the legitimate match finishes', async () => {
    const server = await env.startServer({ pointsToWin: 2 });
    const rng = new Rng(SEED);
    const legit = await startLegitMatch(server);

    const paced: PacedHostile[] = [];
    for (let i = 0; i < PACED_CLIENTS; i += 1) {
      const client = await env.connected(server);
      const spectating = i < SPECTATING_CLIENTS;
      if (spectating) expect((await joinRoom(client, { code: legit.code })).role).toBe('spectator');
      paced.push(
        new PacedHostile(
          client as unknown as UntypedClient,
          new Rng(rng.int(0, 2 ** 31)),
          spectating,
          MESSAGES_PER_PACED_CLIENT,
        ),
      );
    }
    const flooders = await Promise.all(
      Array.from({ length: FLOODERS }, async () => (await env.connected(server)) as unknown as UntypedClient),
    );
    const raws = await Promise.all(RAW_FATAL.map(() => RawSession.open(server.port)));
    env.defer(() => raws.forEach((r) => r.terminate()));
    const kamikazes = await Promise.all(
      oversize().map(async (o) => ({
        ...o,
        client: (await env.connected(
          server,
          o.polling ? { transports: ['polling'], upgrade: false } : {},
        )) as unknown as UntypedClient,
      })),
    );
    const socketsBefore = (await scrapeMetrics(server.url)).required('pong_sockets');
    expect(socketsBefore).toBe(2 + PACED_CLIENTS + FLOODERS + raws.length + kamikazes.length);

    // Everyone at once, while the legitimate match is playing.
    const pacedDone = withDeadline(
      Promise.all(paced.map((p) => p.start())),
      FUZZ_DEADLINE_MS,
      () =>
        `seed ${SEED}, unanswered: ` +
        paced
          .filter((p) => p.answers < MESSAGES_PER_PACED_CLIENT)
          .map((p) => p.describe())
          .join('; '),
    );
    const floods = Promise.all(flooders.map((f) => flood(f, new Rng(rng.int(0, 2 ** 31)))));
    const rawRuns = Promise.all(
      raws.map(async (raw, i) => {
        const r = new Rng(rng.int(0, 2 ** 31));
        for (let n = 0; n < RAW_MESSAGES_PER_CLIENT; n += 1) {
          const { frame, answer } = rawAnswerable(r, n + 1);
          raw.ws.send(frame);
          const reply = await raw.next();
          expect(String(reply), `raw frame ${JSON.stringify(String(frame)).slice(0, 80)}`).toMatch(answer);
        }
        raw.ws.send(RAW_FATAL[i] as string | Buffer);
        return raw.closed();
      }),
    );
    const oversized = Promise.all(
      kamikazes.map(async (k) => {
        const cut = waitFor(k.client as unknown as GameClient, 'disconnect', () => true, 10_000);
        k.client.emit(k.event, ...k.args);
        const [reason] = await cut;
        return { what: k.what, reason };
      }),
    );

    const [, floodResults, rawCloses, oversizeResults] = await Promise.all([
      pacedDone,
      floods,
      rawRuns,
      oversized,
    ]);
    const phaseAfterFuzz = legit.log.last?.phase;

    // Paced clients: every message answered on its own, on the channel it asked for, as a refusal.
    for (const p of paced) {
      expect(p.tally.wrong, `wrong answers (seed ${SEED})`).toEqual([]);
      expect(p.client.connected).toBe(true);
      expect(p.tally.sent).toBe(MESSAGES_PER_PACED_CLIENT);
      expect({ acks: p.tally.acks, errors: p.tally.errors }).toEqual({
        acks: p.tally.expectedAcks,
        errors: p.tally.expectedErrors,
      });
    }
    const codes = new Map<string, number>();
    for (const p of paced) for (const [c, n] of p.tally.codes) codes.set(c, (codes.get(c) ?? 0) + n);
    const answeredAlone = paced.reduce((n, p) => n + p.answers, 0);
    expect(answeredAlone).toBeGreaterThanOrEqual(10_000);
    // No handler threw, and the paced clients never hit the limit.
    expect(codes.get('INTERNAL') ?? 0).toBe(0);
    expect(codes.get('RATE_LIMITED') ?? 0).toBe(0);
    for (const code of ['BAD_REQUEST', 'UNKNOWN_EVENT', 'NOT_IN_ROOM', 'NOT_A_PLAYER', 'ROOM_NOT_FOUND']) {
      expect(codes.get(code), `code ${code} among the answers`).toBeGreaterThan(0);
    }

    // Flooders: refused, then disconnected by the server; whatever was not answered died with them.
    for (const f of floodResults) {
      expect(f.wrong).toEqual([]);
      expect(f.reason).toBe('io server disconnect');
      expect(f.codes.get('RATE_LIMITED')).toBeGreaterThan(0);
      expect(f.acks + f.errors).toBeLessThan(f.sent);
    }
    // Raw sessions: every valid frame answered; the fatal one closed the connection.
    expect(rawCloses).toHaveLength(RAW_FATAL.length);
    for (const code of rawCloses) expect(code).toBeGreaterThanOrEqual(1000);
    // Oversize senders lose their transport.
    for (const o of oversizeResults) expect(o.reason, o.what).toMatch(/^transport (close|error)$/);

    const sum = <T>(items: readonly T[], f: (item: T) => number) => items.reduce((n, x) => n + f(x), 0);
    const total =
      sum(paced, (p) => p.tally.sent) +
      sum(floodResults, (f) => f.sent) +
      raws.length * (RAW_MESSAGES_PER_CLIENT + 1) +
      oversizeResults.length;
    // Answered one by one, with a refusal in an ack or a server:error...
    const answered =
      answeredAlone + sum(floodResults, (f) => f.acks + f.errors) + raws.length * RAW_MESSAGES_PER_CLIENT;
    // ...or by the server cutting its sender off (each such sender was checked above).
    const cutOff =
      sum(floodResults, (f) => f.sent - f.acks - f.errors) + raws.length + oversizeResults.length;
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(answered + cutOff).toBe(total);

    // The server counted the refusals and let go of every socket it cut off.
    const metrics = await pollUntil(
      () => scrapeMetrics(server.url),
      (m) => m.required('pong_sockets') === 2 + PACED_CLIENTS,
      'the cut-off sockets to be gone from pong_sockets',
    );
    expect(metrics.value('pong_rejected_messages_total')).toBeGreaterThanOrEqual(answeredAlone);
    expect(metrics.value('pong_rejected_messages_total', { code: 'INTERNAL' })).toBe(0);
    expect(metrics.required('pong_abusive_disconnects_total')).toBe(FLOODERS);

    // The legitimate match was still on when the fuzz ended, and plays on to a normal finish.
    expect(phaseAfterFuzz).toMatch(/^(countdown|playing)$/);
    for (const p of paced) closeClient(p.client as unknown as GameClient);
    legit.endRally();
    const [final] = await waitFor(legit.left, 'room:state', (s) => s.phase === 'finished', 30_000);
    const last = await waitForSnapshot(legit.left, (s) => s.phase === 'finished');
    expect(final.winner).not.toBeNull();
    expect(last.scores[final.winner === 'left' ? 0 : 1]).toBe(2);
    expect(legit.log.snapshots.some((s) => s.phase === 'paused')).toBe(false);
    expect(legit.errors).toEqual([]);
    expect(legit.right.connected).toBe(true);

    // And the server still serves newcomers.
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const newcomer = await env.connected(server);
    await createRoom(newcomer, 'after-the-storm');
  });
});
