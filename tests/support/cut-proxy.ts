import net from 'node:net';

/**
 * A TCP proxy whose link can be cut like a server that went down: cut() resets every connection
 * and stops listening, so new ones are refused (ECONNREFUSED) until restore() listens again on
 * the same port. Unlike freeze-proxy, the other side learns of it at once.
 */
export interface CutProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  readonly cutOff: boolean;
  cut(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on a free port of 127.0.0.1 that forwards to `targetPort` on `targetHost`. */
export async function startCutProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<CutProxy> {
  const open = new Set<net.Socket>();
  let cutOff = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      // A reset on one side resets the other.
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');
  return {
    port: address.port,
    get cutOff() {
      return cutOff;
    },
    cut() {
      cutOff = true;
      server.close();
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    async restore() {
      cutOff = false;
      await new Promise<void>((resolve) => server.listen(address.port, '127.0.0.1', resolve));
    },
    async close() {
      for (const s of open) s.destroy();
      open.clear();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
