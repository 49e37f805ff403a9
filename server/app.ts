import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Server } from 'socket.io';
import * as socketParser from '../shared/codec/socket-parser.ts';
import { ROOM_CODE_PATTERN } from '../shared/protocol/schemas.ts';
import type { Config } from './config.ts';
import { playerRoutes } from './http/player-routes.ts';
import { roomListResponseSchema } from './http/room-list-schema.ts';
import { MatchResults } from './gateway/match-results.ts';
import { attachGateway, evictMembers, type GameServer, type GameSocket } from './gateway/socket-gateway.ts';
import type { GatewayContext, Session } from './gateway/session.ts';
import { LobbyPublisher } from './gateway/lobby-publisher.ts';
import { QueuePairer } from './gateway/queue-pairer.ts';
import { InMemoryMatchmakingQueue, type MatchmakingQueue } from './lobby/matchmaking-queue.ts';
import { QuickMatch } from './lobby/quick-match.ts';
import { InMemoryRoomDirectory, type RoomDirectory } from './lobby/room-directory.ts';
import { ServerMetrics } from './metrics.ts';
import { monotonicClock, type Clock } from './rooms/clock.ts';
import { RoomManager } from './rooms/room-manager.ts';
import { Scheduler } from './rooms/scheduler.ts';
import { storeOptionsFromEnv } from './store/config.ts';
import { MATCH_ID_PATTERN, PROFILE_ID_PATTERN } from './store/ids.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/types.ts';
import { RoomChannels } from './transport/room-channels.ts';
import type { Cluster } from './cluster/cluster.ts';
import { attachAdminUi } from './admin-ui.ts';
import { RoomOwnership } from './cluster/room-ownership.ts';

/** The largest message the protocol needs is a join request (~150 bytes); leave head-room, no more. */
export const MAX_HTTP_BUFFER_BYTES = 4 * 1024;
/** On shutdown, how long clients get to collect the restart notice before their connections are cut. */
export const SHUTDOWN_FLUSH_MS = 2_000;
/** On shutdown, how long match records still being written may take before the store closes. */
export const RECORD_FLUSH_MS = 5_000;

export interface App {
  http: FastifyInstance;
  io: GameServer;
  rooms: RoomManager;
  scheduler: Scheduler;
  queue: MatchmakingQueue;
  directory: RoomDirectory;
  metrics: ServerMetrics;
  /** Several nodes: what they share through Redis, and this node's leases on its rooms. */
  cluster: Cluster | null;
  ownership: RoomOwnership | null;
  /** Profiles, ratings, history and replays; null when built without one. */
  store: Store | null;
  /** Records finished matches (null without a store). */
  matchResults: MatchResults | null;
  /** Stops the game loop, disconnects every client and closes the HTTP server. */
  close(): Promise<void>;
}

export interface BuildOptions {
  clock?: Clock;
  /** Start the scheduler's timer (tests with a ManualClock drive it by hand). */
  autoStart?: boolean;
  /** Shared implementations (Redis-backed ones for several processes); in-memory by default. */
  directory?: RoomDirectory;
  queue?: MatchmakingQueue;
  /**
   * Several nodes on one Redis (REDIS_URL): the shared directory and queue, socket.io's Redis
   * adapter, room leases and checkpoints. The app closes it on shutdown.
   */
  cluster?: Cluster;
  /**
   * The store for profiles, ratings and replays, closed with the app. Undefined opens one from the
   * environment (storeOptionsFromEnv: PGlite under DATA_DIR, or DATABASE_URL); null runs without
   * one: no profiles, every match unrated and unrecorded.
   */
  store?: Store | null;
}

/** Builds the whole server without listening: fastify, socket.io on the same port, rooms, loop. */
export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<App> {
  const clock = opts.clock ?? monotonicClock;
  const store = opts.store === undefined ? await openStore(storeOptionsFromEnv(process.env)) : opts.store;
  const http = Fastify({ logger: { level: config.logLevel }, forceCloseConnections: true });
  const io: GameServer = new Server(http.server, {
    parser: socketParser,
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    serveClient: false,
    // A player's link is watched by its own input stream (GameRoom's stall detection, 1 s); the
    // heartbeat only has to catch spectators and lobby viewers, and half-open sockets.
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
  });
  const metrics = new ServerMetrics();
  const scheduler = new Scheduler(clock, {
    tickHz: config.tickHz,
    onError: (err) => http.log.error({ err }, 'room tick failed'),
    onTick: ({ latenessMs, durationMs }) => {
      metrics.tickLateness.observe(latenessMs);
      metrics.tickDuration.observe(durationMs);
    },
  });
  const cluster = opts.cluster ?? null;
  if (cluster) io.adapter(cluster.adapter);
  const directory = opts.directory ?? cluster?.directory ?? new InMemoryRoomDirectory();
  const queue = opts.queue ?? cluster?.queue ?? new InMemoryMatchmakingQueue();
  let ownership: RoomOwnership | null = null;
  const channels = new RoomChannels<GameSocket>({
    // A room's members are all on this node: its state never goes through an adapter.
    emitState: (channel, info) => io.local.to(channel).emit('room:state', info),
    fanout: config.snapshotFanout,
    onSnapshot: (members, bytes) => {
      metrics.hot.snapshots += 1;
      metrics.hot.snapshotBytes += members * bytes;
    },
    onWriteError: (socketId, err) => http.log.warn({ err, socketId }, 'snapshot write failed'),
  });
  const matchResults = store
    ? new MatchResults({
        store,
        log: http.log,
        // The room's members on this node, which is where they all are.
        emit: (code, result) => io.local.to(`room:${code}`).emit('match:result', result),
      })
    : null;
  const rooms = new RoomManager({
    config,
    clock,
    scheduler,
    directory,
    transportFor: (code) => channels.open(code),
    onRoomClosed: (room, reason) => {
      evictMembers(ctx, room, reason);
      ownership?.closed(room);
      http.log.info({ room: room.id, reason }, 'room closed');
    },
    onRoomOpened: (room) => ownership?.opened(room),
    onRoomChanged: (room) => ownership?.changed(room),
    onMatchEnd: matchResults ? (room, end) => matchResults.matchEnded(room, end) : undefined,
  });
  if (cluster) {
    ownership = new RoomOwnership({
      redis: cluster.redis,
      leases: cluster.leases,
      presence: cluster.presence,
      rooms,
      log: http.log,
      accepting: () => accepting,
    });
    scheduler.add(ownership);
  }
  metrics.watch({ rooms, queue, scheduler, sockets: () => io.engine.clientsCount });
  let accepting = true;
  const ctx: GatewayContext = {
    io,
    sessions: new Map<string, Session>(),
    rooms,
    channels,
    quickMatch: new QuickMatch(queue, rooms),
    directory,
    clock,
    log: http.log,
    metrics,
    rules: { ...rooms.rules, snapshotHz: config.snapshotHz },
    nodeId: config.nodeId,
    pairer: new QueuePairer(() => ctx),
    ownership,
    // A node whose Redis is away keeps its matches playing but takes no new rooms.
    accepting: () => accepting && (ownership?.reachable ?? true),
    store,
  };
  attachGateway(ctx);
  scheduler.add(ctx.pairer);
  const lobby = new LobbyPublisher(io, directory);
  scheduler.add(lobby);

  // The HTTP API is rate-limited per client address; health and metrics stay open for probes.
  await http.register(fastifyRateLimit, {
    global: false,
    max: config.apiRequestsPerMinute,
    timeWindow: 60_000,
  });
  http.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  http.get(
    '/api/rooms',
    { config: { rateLimit: {} }, schema: { response: { 200: roomListResponseSchema } } },
    async () => ({
      rooms: await directory.list(),
    }),
  );

  if (store) await http.register(playerRoutes, { store });

  http.get('/healthz', async (_req, reply) => {
    // A draining node answers 503 so the balancer stops sending it new connections.
    if (!accepting) reply.code(503);
    return {
      status: accepting ? 'ok' : 'draining',
      node: config.nodeId,
      pid: process.pid,
      redis: cluster ? (ownership?.reachable ? 'ok' : 'unreachable') : 'off',
      rooms: rooms.size,
      sockets: io.engine.clientsCount,
      uptimeS: Math.round(process.uptime()),
    };
  });

  const clientDir = config.clientDir;
  if (clientDir && existsSync(join(clientDir, 'index.html'))) {
    await http.register(fastifyStatic, { root: clientDir, wildcard: false, index: 'index.html' });
    // Invite (/r/) and watch (/w/) links are client routes: the page says "not found" for a bad code.
    const page = (req: FastifyRequest<{ Params: { code: string } }>, reply: FastifyReply) =>
      reply.code(ROOM_CODE_PATTERN.test(req.params.code) ? 200 : 404).sendFile('index.html');
    http.get('/r/:code', page);
    http.get('/w/:code', page);
    // The leaderboard, profile and replay pages are client routes too.
    const idPage =
      (pattern: RegExp) => (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) =>
        reply.code(pattern.test(req.params.id) ? 200 : 404).sendFile('index.html');
    http.get('/leaderboard', (_req, reply) => reply.sendFile('index.html'));
    http.get('/players/:id', idPage(PROFILE_ID_PATTERN));
    http.get('/replay/:id', idPage(MATCH_ID_PATTERN));
  }

  if (config.adminPassword) {
    await attachAdminUi(http, io, { password: config.adminPassword, nodeId: config.nodeId, cluster });
  }

  http.addHook('preClose', async () => {
    accepting = false;
    // Several nodes: checkpoint every room and let go of its lease first, so the players, told to
    // reconnect below, find their match resumable on another node at once.
    await ownership?.handOver();
    // Tell everyone first: the client shows "server restarting" and socket.io reconnects by itself.
    // This node's clients only: through the Redis adapter these would reach every node's.
    io.local.emit('server:restarting', { inMs: 0 });
    scheduler.stop();
    lobby.dispose();
    // Close gracefully before cutting: a long-polling client only collects the notice with its
    // next poll, and a forced close discards what is still buffered for it.
    const closed = [...io.sockets.sockets.values()].map(
      (s) => new Promise<void>((resolve) => s.conn.once('close', () => resolve())),
    );
    io.local.disconnectSockets(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS))),
    ]);
    clearTimeout(timer);
    io.engine.close();
    // The loop has stopped, so no match can end any more: what was ended is written before the store closes.
    await matchResults?.flush(RECORD_FLUSH_MS);
  });
  // After the HTTP server has stopped answering (player routes read the store).
  http.addHook('onClose', async () => {
    await store?.close();
  });

  if (opts.autoStart !== false) scheduler.start();
  return {
    http,
    io,
    rooms,
    scheduler,
    queue,
    directory,
    metrics: metrics,
    cluster,
    ownership,
    store,
    matchResults,
    close: async () => {
      await http.close();
      await cluster?.close();
    },
  };
}
