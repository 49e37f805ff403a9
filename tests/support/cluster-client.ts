import { EventEmitter } from 'node:events';
import { io } from 'socket.io-client';
import * as parser from '../../shared/codec/socket-parser.ts';
import { decodeSnapshot, type Snapshot } from '../../shared/codec/snapshot.ts';
import { ErrorCode } from '../../shared/protocol/errors.ts';
import { PROTOCOL_VERSION, type JoinOk, type JoinResult } from '../../shared/protocol/messages.ts';
import type { GameClient } from './client.ts';
import { PlayerBot, type PlayerBotOptions } from './player-bot.ts';

/** As the browser (client/src/app.ts): a room being settled is asked for again this often… */
export const ELSEWHERE_RETRY_MS = 1_000;
/** …this many times at most. */
export const ELSEWHERE_RETRY_LIMIT = 20;

/** How the room is entered again after a reconnect: its code and seat token, or its public id. */
export type ClusterEntry =
  { by: 'code'; code: string; token?: string; nickname?: string } | { by: 'id'; id: string };

export interface ClusterClientOptions {
  /** Start on this node (`?node=`); otherwise wherever the balancer sends us. */
  node?: string;
  transport?: 'websocket' | 'polling';
  /** The handshake's player id (one queue entry per player). */
  playerId?: string;
  /** Play the seat with a PlayerBot, restarted from sequence 0 after every (re)join, as a page does. */
  bot?: PlayerBotOptions;
}

/**
 * A socket.io-client player or spectator behind the balancer that follows its room across nodes the
 * way the browser client does (client/src/app.ts and net/connection.ts):
 * - `server:restarting` then an 'io server disconnect': the node is stopping on purpose;
 *   reconnect through the balancer without a node, and enter the room again (code + token);
 * - a drop (the node died): socket.io reconnects by itself, the balancer routes around a dead node,
 *   and the room is entered again;
 * - ROOM_ELSEWHERE naming a node: reconnect there (`?node=`) and enter; naming none, or the node
 *   we asked already (its lease has not lapsed yet): ask again after ELSEWHERE_RETRY_MS;
 * - a `held` quick-match seat: reconnect to the owner node and take it with the token;
 * - every JoinOk's `node` pins later reconnects to the room's node.
 *
 * Events: 'joined' (JoinOk) after every successful (re)join, 'failed' (JoinResult) when a join is
 * refused for another reason, 'snapshot' (Snapshot) decoded.
 */
export class ClusterClient extends EventEmitter {
  readonly socket: GameClient;
  entry: ClusterEntry | null = null;
  /** Every JoinOk in order (queue:matched ones too). */
  readonly joins: JoinOk[] = [];
  /** Every queue:matched received. */
  readonly matched: JoinOk[] = [];
  /** Every refusal other than ROOM_ELSEWHERE. */
  readonly failures: JoinResult[] = [];
  /** Moves to another node (by ROOM_ELSEWHERE, a held seat or a restart). */
  moves = 0;
  last: Snapshot | null = null;
  private restarting = false;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private bot: PlayerBot | null = null;
  private closed = false;

  constructor(
    url: string,
    private readonly opts: ClusterClientOptions = {},
  ) {
    super();
    this.socket = io(url, {
      parser,
      auth: opts.playerId ? { v: PROTOCOL_VERSION, playerId: opts.playerId } : { v: PROTOCOL_VERSION },
      transports: [opts.transport ?? 'websocket'],
      // Long-polling sessions stick to a node by the balancer's cookie.
      withCredentials: true,
      query: opts.node ? { node: opts.node } : {},
      forceNew: true,
      reconnectionDelay: 250,
      reconnectionDelayMax: 2_000,
      timeout: 5_000,
    });
    this.socket.on('connect', () => {
      this.restarting = false;
      if (this.entry) this.enter();
    });
    this.socket.on('disconnect', (reason) => {
      // A node stopping lets its clients go on purpose; socket.io does not come back by itself then.
      if (reason === 'io server disconnect' && this.restarting && !this.closed) this.moveTo(null);
    });
    this.socket.on('server:restarting', () => {
      this.restarting = true;
    });
    this.socket.on('queue:matched', (res) => {
      this.matched.push(res);
      if (!res.held) return this.joined(res);
      // Our seat is held on the room's node: go there and take it.
      if (!res.code) throw new Error('a held seat without a code');
      this.entry = { by: 'code', code: res.code, token: res.token ?? undefined };
      this.follow(res.node ?? null);
    });
    this.socket.on('snapshot', (bytes) => {
      this.last = decodeSnapshot(bytes);
      this.emit('snapshot', this.last);
    });
  }

  /** The node this client asks the balancer for, or null. */
  get node(): string | null {
    const query = this.socket.io.opts.query as Record<string, string> | undefined;
    return query?.node ?? null;
  }

  /** The room's current code when this client holds a seat or joined by code. */
  get code(): string | null {
    return this.entry?.by === 'code' ? this.entry.code : null;
  }

  /** Enters a room by code (creator's friends, seat tokens) or public id (spectators), following it. */
  enterRoom(entry: ClusterEntry): void {
    this.entry = entry;
    this.attempts = 0;
    if (this.socket.connected) this.enter();
  }

  /** Creates a private room where the balancer sent us; resolves with its JoinOk. */
  async createRoom(nickname: string): Promise<JoinOk> {
    const res = await this.socket.timeout(5_000).emitWithAck('room:create', { nickname });
    if (!res.ok) throw new Error(`room:create failed: ${res.error} (${res.message})`);
    this.joined(res);
    return res;
  }

  /** Resolves with the next JoinOk (a first join, or a rejoin after a move or a drop). */
  nextJoin(timeoutMs: number): Promise<JoinOk> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('joined', onJoined);
        reject(new Error(`no join within ${timeoutMs} ms (failures: ${JSON.stringify(this.failures)})`));
      }, timeoutMs);
      const onJoined = (res: JoinOk) => {
        clearTimeout(timer);
        resolve(res);
      };
      this.once('joined', onJoined);
    });
  }

  /** Resolves with the first snapshot (from now) for which `predicate` holds. */
  until(predicate: (s: Snapshot) => boolean, what: string, timeoutMs: number): Promise<Snapshot> {
    if (this.last && predicate(this.last)) return Promise.resolve(this.last);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('snapshot', onSnapshot);
        reject(new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(this.last)})`));
      }, timeoutMs);
      const onSnapshot = (s: Snapshot) => {
        if (!predicate(s)) return;
        clearTimeout(timer);
        this.off('snapshot', onSnapshot);
        resolve(s);
      };
      this.on('snapshot', onSnapshot);
    });
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.bot?.stop();
    this.socket.removeAllListeners();
    this.socket.close();
    this.removeAllListeners();
  }

  private enter(): void {
    const entry = this.entry;
    if (!entry) return;
    const answered = (err: Error | null, res?: JoinResult) => {
      if (this.closed || entry !== this.entry) return;
      // No answer (the node went away mid-request): the reconnect enters again.
      if (err || !res) return;
      this.onJoinResult(res);
    };
    if (entry.by === 'id') {
      this.socket.timeout(5_000).emit('room:watch', { id: entry.id }, answered);
    } else {
      this.socket
        .timeout(5_000)
        .emit('room:join', { code: entry.code, token: entry.token, nickname: entry.nickname }, answered);
    }
  }

  private onJoinResult(res: JoinResult): void {
    if (res.ok) return this.joined(res);
    if (res.error === ErrorCode.ROOM_ELSEWHERE) return this.follow(res.node ?? null);
    this.failures.push(res);
    this.emit('failed', res);
  }

  private joined(res: JoinOk): void {
    this.attempts = 0;
    this.joins.push(res);
    if (res.code) {
      const token = res.token ?? (this.entry?.by === 'code' ? this.entry.token : undefined);
      this.entry = { by: 'code', code: res.code, token };
    } else {
      this.entry = { by: 'id', id: res.room.id };
    }
    // From now on a reconnect comes back to the room's node.
    if (res.node) this.socket.io.opts.query = { node: res.node };
    if (this.opts.bot && res.role !== 'spectator') {
      this.bot?.stop();
      this.bot = new PlayerBot(this.socket, this.opts.bot).start();
    }
    this.emit('joined', res);
  }

  /** The room is elsewhere: move to the named node, or ask again shortly. */
  private follow(node: string | null): void {
    this.attempts += 1;
    if (this.attempts > ELSEWHERE_RETRY_LIMIT) {
      const gaveUp: JoinResult = {
        ok: false,
        error: ErrorCode.ROOM_ELSEWHERE,
        message: `gave up after ${ELSEWHERE_RETRY_LIMIT} tries`,
      };
      this.failures.push(gaveUp);
      this.emit('failed', gaveUp);
      return;
    }
    if (node && node !== this.node) return this.moveTo(node);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.socket.connected) this.enter();
    }, ELSEWHERE_RETRY_MS);
  }

  private moveTo(node: string | null): void {
    this.moves += 1;
    this.socket.io.opts.query = node ? { node } : {};
    this.socket.disconnect();
    this.socket.connect();
  }
}
