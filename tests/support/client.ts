import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import * as parser from '../../shared/codec/socket-parser.ts';
import { decodeSnapshot, type Snapshot } from '../../shared/codec/snapshot.ts';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type JoinOk,
  type JoinResult,
  type ServerToClientEvents,
} from '../../shared/protocol/messages.ts';

/** A socket.io-client socket typed with the game's event maps, as the real client holds it. */
export type GameClient = Socket<ServerToClientEvents, ClientToServerEvents>;
/** The same socket without event typing, for sending what the protocol forbids. */
export type UntypedClient = Socket;

export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** Events a client socket can wait for: the server's events plus socket.io's reserved ones. */
export type ClientEvents = ServerToClientEvents & {
  connect: () => void;
  connect_error: (err: Error & { data?: unknown }) => void;
  disconnect: (reason: string) => void;
};

export const DEFAULT_WAIT_MS = 5_000;

/**
 * Opens a client exactly as the browser client does (the one-frame snapshot parser, the protocol
 * version in the handshake, WebSocket only), unless `opts` says otherwise. Never reuses a manager,
 * so every call is its own connection.
 */
export function connect(url: string, opts: ClientOptions = {}): GameClient {
  return io(url, {
    parser,
    auth: { v: PROTOCOL_VERSION },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...opts,
  });
}

/** Closes a client; safe to call twice. */
export function closeClient(client: GameClient): void {
  client.removeAllListeners();
  client.io.engine?.removeAllListeners('packet');
  client.close();
}

interface EmitterLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}
type Listener = (...args: unknown[]) => void;

/**
 * Resolves with the arguments of the next `event` for which `predicate` holds; rejects with a
 * message naming the event (and the last arguments seen) if none comes within `timeoutMs`. The
 * timer is only a deadline: nothing waits on it when things go right.
 */
export function waitFor<E extends keyof ClientEvents>(
  emitter: GameClient,
  event: E,
  predicate?: (...args: Parameters<ClientEvents[E]>) => boolean,
  timeoutMs?: number,
): Promise<Parameters<ClientEvents[E]>>;
export function waitFor<A extends unknown[] = unknown[]>(
  emitter: EmitterLike,
  event: string,
  predicate?: (...args: A) => boolean,
  timeoutMs?: number,
): Promise<A>;
export function waitFor(
  emitter: EmitterLike | GameClient,
  event: string,
  predicate: (...args: never[]) => boolean = () => true,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<unknown[]> {
  const target = emitter as unknown as {
    on(e: string, l: Listener): unknown;
    off(e: string, l: Listener): unknown;
  };
  const test = predicate as (...args: unknown[]) => boolean;
  return new Promise((resolve, reject) => {
    let seen = 0;
    let last: unknown[] | undefined;
    const listener: Listener = (...args) => {
      seen += 1;
      last = args;
      let ok: boolean;
      try {
        ok = test(...args);
      } catch (err) {
        done();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (!ok) return;
      done();
      resolve(args);
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new Error(
          `Timed out after ${timeoutMs} ms waiting for "${event}" (${seen} seen, none matched; last: ${describe(last)})`,
        ),
      );
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      target.off(event, listener);
    };
    target.on(event, listener);
  });
}

function describe(args: unknown[] | undefined): string {
  if (args === undefined) return 'none';
  const text = JSON.stringify(args.map((a) => (a instanceof Uint8Array ? decodeOrBytes(a) : a)));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function decodeOrBytes(bytes: Uint8Array): unknown {
  try {
    return decodeSnapshot(bytes);
  } catch {
    return [...bytes];
  }
}

/** Connects and resolves once the handshake (including the protocol version check) has passed. */
export async function connected(url: string, opts: ClientOptions = {}): Promise<GameClient> {
  const client = connect(url, opts);
  if (!client.connected) await waitFor(client, 'connect');
  return client;
}

/** Asserts that a create/join succeeded and narrows the result. */
export function expectJoined(result: JoinResult): JoinOk {
  if (!result.ok) throw new Error(`join failed: ${result.error} (${result.message})`);
  return result;
}

/** Resolves with the next decoded snapshot for which `predicate` holds. */
export async function waitForSnapshot(
  client: GameClient,
  predicate: (s: Snapshot) => boolean = () => true,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<Snapshot> {
  const [bytes] = await waitFor(client, 'snapshot', (b) => predicate(decodeSnapshot(b)), timeoutMs);
  return decodeSnapshot(bytes);
}

/**
 * A barrier: everything the server sent this client before it answered the ping has been
 * delivered to the client's listeners once this resolves (one ordered connection).
 */
export async function roundTrip(client: GameClient): Promise<number> {
  return client.timeout(DEFAULT_WAIT_MS).emitWithAck('time:ping');
}

export interface ReceivedSnapshot {
  snapshot: Snapshot;
  /** A copy of the bytes as received. */
  bytes: Uint8Array;
}

/**
 * Asserts that server time moves forward through a received stream. Two snapshots may share a
 * time only when they are the same bytes: a join's full snapshot sent on a broadcast tick.
 */
export function expectTimeAdvances(received: readonly ReceivedSnapshot[]): void {
  for (let i = 1; i < received.length; i += 1) {
    const prev = received[i - 1] as ReceivedSnapshot;
    const cur = received[i] as ReceivedSnapshot;
    const same = cur.snapshot.serverTimeMs === prev.snapshot.serverTimeMs;
    if (same && Buffer.from(cur.bytes).equals(Buffer.from(prev.bytes))) continue;
    if (cur.snapshot.serverTimeMs <= prev.snapshot.serverTimeMs) {
      throw new Error(
        `snapshot ${i} at ${cur.snapshot.serverTimeMs} ms does not follow ${prev.snapshot.serverTimeMs} ms`,
      );
    }
  }
}

/** Records every snapshot a client receives, decoded, from now until stop(). */
export class SnapshotLog {
  readonly received: ReceivedSnapshot[] = [];
  private readonly onSnapshot = (bytes: Uint8Array) => {
    this.received.push({ snapshot: decodeSnapshot(bytes), bytes: Uint8Array.from(bytes) });
  };

  constructor(private readonly client: GameClient) {
    client.on('snapshot', this.onSnapshot);
  }

  get snapshots(): Snapshot[] {
    return this.received.map((r) => r.snapshot);
  }

  get last(): Snapshot | undefined {
    return this.received.at(-1)?.snapshot;
  }

  stop(): void {
    this.client.off('snapshot', this.onSnapshot);
  }
}
