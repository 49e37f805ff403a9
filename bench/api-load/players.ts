/**
 * Players for bench/api-load.ts (a child process, so their socket.io traffic never delays the
 * runner's HTTP timings): 2 × N socket.io clients, each with its own profile in the handshake, pair
 * through quick match (rated) and play; when a match ends both ask for a rematch, so N matches are
 * always playing and ending. Two modes:
 *   play   follow the ball sloppily (rallies, and points: with POINTS_TO_WIN=3 a match lasts ~30 s)
 *   waves  stand still, and rematch only when every room has finished: with POINTS_TO_WIN=1 all N
 *          matches start together and end within a fraction of a second of each other, wave after wave
 * Talks to the runner over IPC: `ready` once N matches are playing; `stats` on request.
 */
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import * as parser from '../../shared/codec/socket-parser.ts';
import { decodeSnapshot } from '../../shared/codec/snapshot.ts';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type JoinOk,
  type ServerToClientEvents,
} from '../../shared/protocol/messages.ts';
import type { Intent } from '../../shared/sim/types.ts';
import { newProfileId } from '../../server/store/ids.ts';
import { newSecret } from '../../server/store/secret.ts';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
export type PlayersMode = 'play' | 'waves';

/** Ticks per input message, answering every snapshot (60 Hz ticks, 30 Hz snapshots). */
const TICKS_PER_MESSAGE = 2;
/** The sloppy follower lets the ball go this far from the paddle's centre before it moves... */
const FOLLOW_DEAD_ZONE_PX = 30;
/** ...and stands still on this share of its messages: slower than a fast ball, so points are won. */
const LOOK_AWAY_CHANCE = 0.25;
const ACK_TIMEOUT_MS = 15_000;

export type PlayersMessage =
  | { type: 'ready'; matches: number; players: number }
  | { type: 'stats'; results: number; rated: number; finishes: number; errors: number; lastError: string };
export type PlayersCommand = { type: 'stats' };

interface Bot {
  client: Client;
  seq: number;
  seat: 0 | 1;
  code: string | null;
  /** Its match is on (a phase other than finished seen since the last finish). */
  inMatch: boolean;
  finished: boolean;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    matches: { type: 'string', default: '50' },
    mode: { type: 'string', default: 'play' },
  },
});
const url = values.url;
const matches = Number(values.matches);
const mode = values.mode as PlayersMode;
if (!url || !Number.isInteger(matches) || matches < 1 || (mode !== 'play' && mode !== 'waves')) {
  throw new Error('usage: players.ts --url <http://…> --matches <n> --mode play|waves');
}

const bots: Bot[] = [];
let results = 0;
let rated = 0;
let finishes = 0;
let errors = 0;
let lastError = '';
const fail = (what: string) => {
  errors += 1;
  lastError = what;
};

function send(message: PlayersMessage): void {
  process.send?.(message);
}

function policy(bot: Bot, bytes: Uint8Array): Intent {
  if (mode === 'waves' || Math.random() < LOOK_AWAY_CHANCE) return 0;
  const s = decodeSnapshot(bytes);
  const dy = s.ball.y - (s.paddles[bot.seat] as number);
  return Math.abs(dy) <= FOLLOW_DEAD_ZONE_PX ? 0 : dy < 0 ? -1 : 1;
}

function rematch(bot: Bot): void {
  bot.client
    .timeout(ACK_TIMEOUT_MS)
    .emitWithAck('room:rematch')
    .then(
      (r) => (r.ok ? undefined : fail(`rematch: ${r.error}`)),
      (err: unknown) => fail(`rematch: ${String(err)}`),
    );
}

/** waves: once every room has finished, every player asks for the rematch at once. */
function maybeStartWave(): void {
  if (bots.length < 2 * matches || !bots.every((b) => b.finished)) return;
  for (const b of bots) {
    b.finished = false;
    rematch(b);
  }
}

function connectBot(index: number): Promise<Bot> {
  const client: Client = io(url as string, {
    parser,
    auth: { v: PROTOCOL_VERSION, playerId: newProfileId(), secret: newSecret() },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  const bot: Bot = { client, seq: 0, seat: 0, code: null, inMatch: false, finished: false };
  client.on('snapshot', (bytes: Uint8Array) => {
    bot.seq += TICKS_PER_MESSAGE;
    client.emit('input', [bot.seq, policy(bot, bytes), TICKS_PER_MESSAGE]);
  });
  client.on('room:state', (room) => {
    // Rematch requests re-announce a finished room: only the first `finished` after a match counts.
    if (room.phase !== 'finished') {
      bot.inMatch = true;
      return;
    }
    if (!bot.inMatch) return;
    bot.inMatch = false;
    bot.finished = true;
    if (bot.seat === 0) finishes += 1;
    if (mode === 'play') rematch(bot);
    else maybeStartWave();
  });
  client.on('match:result', (r) => {
    if (bot.seat !== 0) return;
    results += 1;
    if (r.rated) rated += 1;
  });
  client.on('disconnect', (reason) => fail(`player ${index} disconnected: ${reason}`));
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(bot));
    client.once('connect_error', (err) => reject(err));
  });
}

async function main(): Promise<void> {
  const connected = await Promise.all(Array.from({ length: 2 * matches }, (_, i) => connectBot(i)));
  const matched = connected.map(
    (bot) =>
      new Promise<void>((resolve) =>
        bot.client.once('queue:matched', (join: JoinOk) => {
          bot.seat = join.role === 'right' ? 1 : 0;
          bot.code = join.code;
          if (join.room.phase !== 'finished') bot.inMatch = true;
          resolve();
        }),
      ),
  );
  // Two at a time, so pairs form as they queue (quick match pairs whoever is waiting within the rating window).
  for (let i = 0; i < connected.length; i += 2) {
    const pair = connected.slice(i, i + 2);
    await Promise.all(
      pair.map(async (bot, k) => {
        const r = await bot.client
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck('queue:join', { nickname: `Bench ${i + k + 1}` });
        if (!r.ok) throw new Error(`queue:join: ${r.error}`);
      }),
    );
  }
  await Promise.all(matched);
  bots.push(...connected);
  send({ type: 'ready', matches: new Set(bots.map((b) => b.code)).size, players: bots.length });
}

process.on('message', (msg: PlayersCommand) => {
  if (msg.type === 'stats') send({ type: 'stats', results, rated, finishes, errors, lastError });
});
process.on('disconnect', () => {
  for (const b of bots) b.client.close();
  process.exit(0);
});

main().catch((err: unknown) => {
  console.error(`players: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
