/**
 * The floor: the least a server can do for the same game, written with the `ws` package alone, so
 * our server's cost is read as a ratio against it. Rooms of two players and any spectators, the
 * same physics (shared/sim `step`) at the same TICK_HZ on one fixed-step setTimeout loop, and a
 * 21-byte snapshot (shared/codec) encoded once per room and sent at the same SNAPSHOT_HZ as one
 * binary frame to each member. No validation beyond the shape, no rate limit, no lobby, no
 * reconnection. Exposes `pong_tick_lateness_ms` and `pong_scheduler_ticks` at GET /metrics with
 * our server's names and buckets, so the runner measures both the same way.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeSnapshot } from '../shared/codec/snapshot.ts';
import {
  COUNTDOWN_MS,
  DEFAULT_POINTS_TO_WIN,
  DEFAULT_SNAPSHOT_HZ,
  DEFAULT_TICK_HZ,
  FIELD_HEIGHT_PX,
  FIELD_WIDTH_PX,
} from '../shared/constants.ts';
import type { RoomPhase } from '../shared/protocol/messages.ts';
import { createMatch, step } from '../shared/sim/step.ts';
import type { Intent, MatchState, Rules } from '../shared/sim/types.ts';
import { decodeInput, FLOOR_JOINED, parseJoin, type FloorRole } from './lib/floor-protocol.ts';
import {
  BucketHistogram,
  SCHEDULER_TICKS_METRIC,
  TICK_LATENESS_BUCKETS_MS,
  TICK_LATENESS_METRIC,
} from './lib/prometheus.ts';

const MAX_CATCH_UP_TICKS = 5;
const MAX_PAYLOAD_BYTES = 64;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

const tickHz = envInt('TICK_HZ', DEFAULT_TICK_HZ);
const rules: Rules = {
  tickHz,
  pointsToWin: envInt('POINTS_TO_WIN', DEFAULT_POINTS_TO_WIN),
  countdownMs: COUNTDOWN_MS,
};
const ticksPerSnapshot = Math.max(1, Math.round(tickHz / envInt('SNAPSHOT_HZ', DEFAULT_SNAPSHOT_HZ)));

interface Seat {
  ws: WebSocket;
  intent: Intent;
  lastSeq: number;
}

interface Room {
  index: number;
  members: Set<WebSocket>;
  seats: [Seat | null, Seat | null];
  match: MatchState | null;
  tickCount: number;
}

const rooms = new Map<number, Room>();
const lateness = new BucketHistogram(TICK_LATENESS_METRIC, TICK_LATENESS_BUCKETS_MS);
let ticks = 0;

function join(ws: WebSocket, index: number, role: FloorRole): Room | null {
  let room = rooms.get(index);
  if (!room) {
    room = { index, members: new Set(), seats: [null, null], match: null, tickCount: 0 };
    rooms.set(index, room);
  }
  if (role !== 'spectator') {
    const i = role === 'left' ? 0 : 1;
    if (room.seats[i]) return null;
    room.seats[i] = { ws, intent: 0, lastSeq: 0 };
    if (room.seats[0] && room.seats[1]) room.match = createMatch(index + 1, rules);
  }
  room.members.add(ws);
  return room;
}

function leave(ws: WebSocket, room: Room): void {
  room.members.delete(ws);
  room.seats = room.seats.map((s) => (s?.ws === ws ? null : s)) as [Seat | null, Seat | null];
  if (room.members.size === 0) rooms.delete(room.index);
}

function phaseOf(room: Room): RoomPhase {
  return room.match ? room.match.phase : 'waiting';
}

function tickRoom(room: Room, scheduledMs: number): void {
  room.tickCount += 1;
  const [a, b] = room.seats;
  if (room.match && a && b) room.match = step(room.match, [a.intent, b.intent], rules);
  if (room.tickCount % ticksPerSnapshot !== room.index % ticksPerSnapshot) return;
  const m = room.match;
  const mid = FIELD_HEIGHT_PX / 2;
  const bytes = encodeSnapshot({
    serverTimeMs: scheduledMs,
    phase: phaseOf(room),
    ball: m ? { x: m.ball.x, y: m.ball.y } : { x: FIELD_WIDTH_PX / 2, y: mid },
    paddles: m ? [m.paddles[0], m.paddles[1]] : [mid, mid],
    scores: m ? [m.scores[0], m.scores[1]] : [0, 0],
    acks: [a?.lastSeq ?? 0, b?.lastSeq ?? 0],
    timerTenths: m?.phase === 'countdown' ? (m.countdownTicks * 10) / tickHz : 0,
  });
  for (const ws of room.members) ws.send(bytes);
}

// One loop for every room: a fixed-step accumulator on the monotonic clock, capped catch-up.
const periodMs = 1000 / tickHz;
let nextMs = performance.now() + periodMs;
function loop(): void {
  let now = performance.now();
  let ran = 0;
  while (now >= nextMs && ran < MAX_CATCH_UP_TICKS) {
    const scheduled = nextMs;
    for (const room of rooms.values()) tickRoom(room, scheduled);
    lateness.observe(now - scheduled);
    ticks += 1;
    nextMs += periodMs;
    ran += 1;
    now = performance.now();
  }
  if (now >= nextMs) nextMs += (Math.floor((now - nextMs) / periodMs) + 1) * periodMs;
  timer = setTimeout(loop, Math.max(0, nextMs - performance.now()));
}
let timer = setTimeout(loop, periodMs);

const http = createServer((req, res) => {
  if (req.url === '/metrics') {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(
      `${lateness.format()}\n# TYPE ${SCHEDULER_TICKS_METRIC} gauge\n${SCHEDULER_TICKS_METRIC} ${ticks}\n`,
    );
    return;
  }
  res.statusCode = 404;
  res.end();
});

const wss = new WebSocketServer({
  server: http,
  perMessageDeflate: false,
  maxPayload: MAX_PAYLOAD_BYTES,
  clientTracking: false,
});
wss.on('connection', (ws) => {
  let room: Room | null = null;
  let seat: Seat | null = null;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!room) {
      const req = isBinary ? null : parseJoin(data.toString());
      room = req ? join(ws, req.room, req.role) : null;
      if (!room || !req) return ws.close(1008, 'bad join');
      seat = req.role === 'spectator' ? null : room.seats[req.role === 'left' ? 0 : 1];
      ws.send(FLOOR_JOINED);
      return;
    }
    const input = isBinary && seat ? decodeInput(data) : null;
    if (!seat || !input) return;
    if (input.seq > seat.lastSeq) {
      seat.lastSeq = input.seq;
      seat.intent = input.intent;
    }
  });
  ws.on('close', () => {
    if (room) leave(ws, room);
  });
  ws.on('error', () => ws.terminate());
});

// Nothing to flush or hand over: the floor just goes.
const stop = () => {
  clearTimeout(timer);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  console.log(`floor listening on http://127.0.0.1:${port}/`);
});
