import net from 'node:net';

/**
 * A TCP proxy that can freeze its connections the way a dead Wi-Fi or mobile link does: nothing
 * passes in either direction, yet no FIN or RST is sent and every socket stays open (SIGSTOP-like).
 * Freezing pauses both sockets of each pair, so bytes wait in the kernel's buffers (and TCP's flow
 * control holds the senders back) until release() lets them through, in order. Connections opened
 * while frozen are accepted and frozen too.
 */
export interface FreezeProxy {
  /** `http://127.0.0.1:<port>`: the proxy's address, to use in place of the server's. */
  url: string;
  /** Connections accepted so far (a client reconnecting on its own opens a new one). */
  readonly connections: number;
  readonly frozen: boolean;
  freeze(): void;
  release(): void;
  close(): Promise<void>;
}

export interface FreezeProxyOptions {
  /**
   * When the client's side of a connection closes, keep the server's side open (and read and discard
   * what the server sends): a middlebox that does not pass a client's abort on, so the server learns
   * that a page went away only if the page tells it.
   */
  keepUpstreamOpen?: boolean;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** Starts a proxy on a free port of 127.0.0.1 that forwards to `targetPort` on 127.0.0.1. */
export async function startFreezeProxy(
  targetPort: number,
  opts: FreezeProxyOptions = {},
): Promise<FreezeProxy> {
  const pairs = new Set<Pair>();
  /** Server sides kept open after their client went (keepUpstreamOpen). */
  const orphans = new Set<net.Socket>();
  let frozen = false;
  let connections = 0;

  const forward = (from: net.Socket, to: net.Socket, passEnd: boolean) => {
    from.on('data', (chunk) => {
      if (to.write(chunk)) return;
      // Backpressure: read on when the other side drains, unless the link froze meanwhile.
      from.pause();
      to.once('drain', () => {
        if (!frozen) from.resume();
      });
    });
    // A FIN passes (when the link is not frozen: a paused socket does not read it until release).
    if (passEnd) from.on('end', () => to.end());
  };

  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    const clientGone = () => {
      if (!opts.keepUpstreamOpen || upstream.destroyed) return drop();
      pairs.delete(pair);
      orphans.add(upstream);
      upstream.removeAllListeners('data');
      upstream.removeAllListeners('end');
      upstream.resume();
      upstream.on('close', () => orphans.delete(upstream));
    };
    client.on('error', clientGone);
    client.on('close', clientGone);
    upstream.on('error', drop);
    upstream.on('close', drop);
    forward(client, upstream, !opts.keepUpstreamOpen);
    forward(upstream, client, true);
    if (frozen) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    get frozen() {
      return frozen;
    },
    freeze() {
      frozen = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    release() {
      frozen = false;
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream.resume();
      }
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      for (const upstream of orphans) upstream.destroy();
      orphans.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
