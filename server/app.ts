import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import * as socketParser from '../shared/codec/socket-parser.ts';
import { ROOM_CODE_PATTERN } from '../shared/protocol/schemas.ts';
import type { Config } from './config.ts';
import { attachGateway, evictMembers, roomTransport, type GameServer } from './gateway/socket-gateway.ts';
import { monotonicClock, type Clock } from './rooms/clock.ts';
import { RoomManager } from './rooms/room-manager.ts';
import { Scheduler } from './rooms/scheduler.ts';

/** The largest message the protocol needs is a join request (~150 bytes); leave head-room, no more. */
export const MAX_HTTP_BUFFER_BYTES = 4 * 1024;

export interface App {
  http: FastifyInstance;
  io: GameServer;
  rooms: RoomManager;
  scheduler: Scheduler;
  /** Stops the game loop, disconnects every client and closes the HTTP server. */
  close(): Promise<void>;
}

export interface BuildOptions {
  clock?: Clock;
  /** Start the scheduler's timer (tests with a ManualClock drive it by hand). */
  autoStart?: boolean;
}

/** Builds the whole server without listening: fastify, socket.io on the same port, rooms, loop. */
export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<App> {
  const clock = opts.clock ?? monotonicClock;
  const http = Fastify({ logger: { level: config.logLevel }, forceCloseConnections: true });
  const io: GameServer = new Server(http.server, {
    parser: socketParser,
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    serveClient: false,
  });
  const scheduler = new Scheduler(clock, {
    tickHz: config.tickHz,
    onError: (err) => http.log.error({ err }, 'room tick failed'),
  });
  const rooms = new RoomManager({
    config,
    clock,
    scheduler,
    transportFor: (code) => roomTransport(io, code),
    onRoomClosed: (room, reason) => {
      evictMembers(io, room, reason);
      http.log.info({ room: room.code, reason }, 'room closed');
    },
  });
  let accepting = true;
  attachGateway({
    io,
    rooms,
    clock,
    log: http.log,
    snapshotHz: config.snapshotHz,
    accepting: () => accepting,
  });

  http.get('/healthz', async () => ({
    status: 'ok',
    rooms: rooms.size,
    sockets: io.engine.clientsCount,
    uptimeS: Math.round(process.uptime()),
  }));

  const clientDir = config.clientDir;
  if (clientDir && existsSync(join(clientDir, 'index.html'))) {
    await http.register(fastifyStatic, { root: clientDir, wildcard: false, index: 'index.html' });
    // Invite links are client routes: the page itself shows "game not found" for a bad code.
    http.get('/r/:code', (req, reply) => {
      const { code } = req.params as { code: string };
      if (!ROOM_CODE_PATTERN.test(code)) return reply.code(404).sendFile('index.html');
      return reply.sendFile('index.html');
    });
  }

  http.addHook('preClose', async () => {
    accepting = false;
    scheduler.stop();
    io.disconnectSockets(true);
    io.engine.close();
  });

  if (opts.autoStart !== false) scheduler.start();
  return {
    http,
    io,
    rooms,
    scheduler,
    close: async () => {
      await http.close();
    },
  };
}
