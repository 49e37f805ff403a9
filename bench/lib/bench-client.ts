import { encodeInputFrame } from '../../shared/codec/input-frame.ts';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { SNAPSHOT_BYTES } from '../../shared/codec/snapshot.ts';
import type { Intent } from '../../shared/sim/types.ts';
import { encodeInput, FLOOR_JOINED, joinMessage, type FloorRole } from './floor-protocol.ts';
import type { ClientRole } from './messages.ts';

/** Where a client reports what it receives; one object for every client keeps closures out of the hot path. */
export interface ClientListener {
  snapshot(client: BenchClient): void;
  badFrame(client: BenchClient): void;
  serverError(client: BenchClient, text: string): void;
  closed(client: BenchClient): void;
}

/** One simulated browser: sends inputs, counts what arrives. */
export interface BenchClient {
  readonly role: ClientRole;
  /** When the last snapshot arrived (performance.now()), or -1. */
  lastSnapshotMs: number;
  /** TCP payload bytes read from the server so far (upgrade response included). */
  bytesRead(): number;
  sendInput(seq: number, intent: Intent, ticks: number): void;
  close(): void;
}

const WS_OPTIONS: WebSocket.ClientOptions = { perMessageDeflate: false, skipUTF8Validation: true };
/** Our parser's first byte on a snapshot frame (shared/codec/socket-parser.ts). */
const SNAPSHOT_MARKER = 0xfe;
const OURS_SNAPSHOT_FRAME_BYTES = 1 + SNAPSHOT_BYTES;

/** Opens a WebSocket and keeps hold of its TCP socket for byte counts. */
function open(url: string): { ws: WebSocket; tcp: () => Socket | null } {
  const ws = new WebSocket(url, WS_OPTIONS);
  let tcp: Socket | null = null;
  ws.once('upgrade', (res) => (tcp = res.socket));
  return { ws, tcp: () => tcp };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * A socket.io client written against the wire protocol (engine.io v4 + socket.io v5, text packets,
 * WebSocket only) instead of socket.io-client, so hundreds of them cost the generator little:
 *   server `0{...}` open → client `40{auth}` → server `40{sid}`; `2` ping → `3` pong;
 *   `42["event",...]` events; `42<id>[...]` → `43<id>[...]` acks; binary frames 0xFE + snapshot.
 */
export class RawSocketIoClient implements BenchClient {
  lastSnapshotMs = -1;
  role: ClientRole = 'player';
  private readonly ws: WebSocket;
  private readonly tcp: () => Socket | null;
  private readonly acks = new Map<number, (args: unknown[]) => void>();
  private nextAckId = 0;
  private closing = false;
  private onConnect: ((err: Error | null) => void) | null = null;

  private constructor(
    url: string,
    private readonly auth: unknown,
    private readonly listener: ClientListener,
    query: Record<string, string>,
  ) {
    const wsUrl = new URL('/socket.io/?EIO=4&transport=websocket', url.replace(/^http/, 'ws'));
    // Several nodes behind HAProxy: `?node=` is what it routes on.
    for (const [k, v] of Object.entries(query)) wsUrl.searchParams.set(k, v);
    ({ ws: this.ws, tcp: this.tcp } = open(wsUrl.href));
    this.ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    this.ws.on('error', (err) => this.onConnect?.(err));
    this.ws.on('close', () => {
      this.onConnect?.(new Error('closed before connecting'));
      if (!this.closing) this.listener.closed(this);
    });
  }

  /** Connects and completes the socket.io handshake with `auth`; `query` goes on the URL. */
  static async connect(
    url: string,
    auth: unknown,
    listener: ClientListener,
    timeoutMs: number,
    query: Record<string, string> = {},
  ): Promise<RawSocketIoClient> {
    const client = new RawSocketIoClient(url, auth, listener, query);
    const connected = new Promise<void>((resolve, reject) => {
      client.onConnect = (err) => {
        client.onConnect = null;
        if (err) reject(err);
        else resolve();
      };
    });
    try {
      await withTimeout(connected, timeoutMs, 'socket.io connect');
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Emits an event with an acknowledgement and resolves with the ack's first argument. */
  request(event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const id = this.nextAckId++;
    const answered = new Promise<unknown>((resolve) => this.acks.set(id, (args) => resolve(args[0])));
    this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    return withTimeout(answered, timeoutMs, event);
  }

  /** Like the browser client: one 7-byte binary frame per input (shared/codec/input-frame.ts). */
  sendInput(seq: number, intent: Intent, ticks: number): void {
    this.ws.send(encodeInputFrame([seq, intent, ticks]));
  }

  bytesRead(): number {
    return this.tcp()?.bytesRead ?? 0;
  }

  close(): void {
    this.closing = true;
    this.ws.terminate();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (data.length === OURS_SNAPSHOT_FRAME_BYTES && data[0] === SNAPSHOT_MARKER) {
        this.listener.snapshot(this);
      } else this.listener.badFrame(this);
      return;
    }
    const text = data.toString();
    switch (text[0]) {
      case '2': // engine.io ping
        this.ws.send('3');
        return;
      case '0': // engine.io open: connect to the main namespace with our handshake auth
        this.ws.send(`40${JSON.stringify(this.auth)}`);
        return;
      case '4':
        this.onSocketIoPacket(text);
        return;
      case '1': // engine.io close
        this.ws.close();
        return;
      default:
        return;
    }
  }

  private onSocketIoPacket(text: string): void {
    switch (text[1]) {
      case '0':
        this.onConnect?.(null);
        return;
      case '4':
        this.onConnect?.(new Error(`connect refused: ${text.slice(2)}`));
        return;
      case '3': {
        const m = /^43(\d+)/.exec(text);
        if (!m) return;
        const id = Number(m[1]);
        const resolve = this.acks.get(id);
        this.acks.delete(id);
        resolve?.(JSON.parse(text.slice(m[0].length)) as unknown[]);
        return;
      }
      case '2':
        if (text.startsWith('42["server:error"') || text.startsWith('42["room:left"')) {
          this.listener.serverError(this, text);
        }
        return;
      default:
        return;
    }
  }
}

/** A client of bench/floor-server.ts: a join line, then binary inputs; bare snapshots back. */
export class FloorClient implements BenchClient {
  lastSnapshotMs = -1;
  readonly role: ClientRole;
  private readonly ws: WebSocket;
  private readonly tcp: () => Socket | null;
  private closing = false;
  private onJoined: ((err: Error | null) => void) | null = null;

  private constructor(
    url: string,
    room: number,
    seat: FloorRole,
    private readonly listener: ClientListener,
  ) {
    this.role = seat === 'spectator' ? 'spectator' : 'player';
    ({ ws: this.ws, tcp: this.tcp } = open(url.replace(/^http/, 'ws')));
    this.ws.on('open', () => this.ws.send(joinMessage(room, seat)));
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (data.length === SNAPSHOT_BYTES) this.listener.snapshot(this);
        else this.listener.badFrame(this);
      } else if (data.toString() === FLOOR_JOINED) this.onJoined?.(null);
      else this.listener.serverError(this, data.toString());
    });
    this.ws.on('error', (err) => this.onJoined?.(err));
    this.ws.on('close', () => {
      this.onJoined?.(new Error('closed before joining'));
      if (!this.closing) this.listener.closed(this);
    });
  }

  static async join(
    url: string,
    room: number,
    seat: FloorRole,
    listener: ClientListener,
    timeoutMs: number,
  ): Promise<FloorClient> {
    const client = new FloorClient(url, room, seat, listener);
    const joined = new Promise<void>((resolve, reject) => {
      client.onJoined = (err) => {
        client.onJoined = null;
        if (err) reject(err);
        else resolve();
      };
    });
    try {
      await withTimeout(joined, timeoutMs, 'floor join');
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  sendInput(seq: number, intent: Intent, ticks: number): void {
    this.ws.send(encodeInput(seq, intent, ticks));
  }

  bytesRead(): number {
    return this.tcp()?.bytesRead ?? 0;
  }

  close(): void {
    this.closing = true;
    this.ws.terminate();
  }
}
