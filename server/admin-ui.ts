import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import fastifyStatic from '@fastify/static';
import { instrument, InMemoryStore, RedisStore } from '@socket.io/admin-ui';
import bcrypt from 'bcryptjs';
import type { FastifyInstance } from 'fastify';
import type { GameServer } from './gateway/socket-gateway.ts';
import type { Cluster } from './cluster/cluster.ts';

/** The Admin UI's own login name; its password comes from ADMIN_PASSWORD. */
export const ADMIN_USERNAME = 'admin';

/**
 * The socket.io Admin UI for operators: its `/admin` namespace on this server (basic auth, the
 * password from ADMIN_PASSWORD, sessions shared through Redis when there are several nodes, so one
 * login sees every node's sockets and rooms through the adapter), and its page served from the
 * package itself at /admin/ (not the hosted site). Off when no password is set.
 */
export async function attachAdminUi(
  http: FastifyInstance,
  io: GameServer,
  opts: { password: string; nodeId: string; cluster: Cluster | null },
): Promise<void> {
  instrument(io, {
    namespaceName: '/admin',
    auth: { type: 'basic', username: ADMIN_USERNAME, password: bcrypt.hashSync(opts.password, 10) },
    readonly: false,
    serverId: opts.nodeId,
    // Every socket and room of every node (through the adapter), and the non-hot events: inputs
    // and snapshots go below socket.io and are never seen here. An opt-in operator tool.
    mode: 'development',
    store: opts.cluster ? new RedisStore(opts.cluster.redis) : new InMemoryStore(),
  });
  const pkg = createRequire(import.meta.url).resolve('@socket.io/admin-ui');
  await http.register(fastifyStatic, {
    root: join(dirname(pkg), '..', 'ui', 'dist'),
    prefix: '/admin/',
    decorateReply: false,
  });
}
