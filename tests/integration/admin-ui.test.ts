import { io as connectIo, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { openCluster } from '../../server/cluster/cluster.ts';
import { ADMIN_USERNAME } from '../../server/admin-ui.ts';
import { waitFor } from '../support/client.ts';
import { createRoom, useTestEnv } from '../support/env.ts';
import { TEST_REDIS_URL, useRedis } from '../support/redis.ts';
import type { TestServer } from '../support/server.ts';

const redisEnv = useRedis();
const env = useTestEnv();
const PASSWORD = 'correct horse battery';

async function node(nodeId: string, adminPassword: string | null): Promise<TestServer> {
  const cluster = await openCluster({ redisUrl: TEST_REDIS_URL, nodeId, keyPrefix: redisEnv().prefix });
  return env.startServer({ nodeId, adminPassword }, { cluster });
}

function admin(server: TestServer, password: string): Socket {
  const socket = connectIo(`${server.url}/admin`, {
    auth: { username: ADMIN_USERNAME, password },
    transports: ['websocket'],
    reconnection: false,
  });
  env.defer(() => socket.close());
  return socket;
}

interface SocketRow {
  id: string;
  nsp: string;
  rooms: string[];
}

describe('socket.io Admin UI', () => {
  it('is off without ADMIN_PASSWORD: no page, no namespace', async () => {
    const server = await node('node-a', null);
    expect((await fetch(`${server.url}/admin/`)).status).toBe(404);
    const [err] = await waitFor(admin(server, PASSWORD) as never, 'connect_error');
    expect(String(err)).toMatch(/Invalid namespace/);
  });

  it("serves its page from the package, refuses a wrong password, and shows every node's sockets and rooms", async () => {
    const a = await node('node-a', PASSWORD);
    const b = await node('node-b', PASSWORD);
    const page = await fetch(`${a.url}/admin/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Socket.IO Admin UI</title>');

    const [refused] = await waitFor(admin(a, 'wrong password') as never, 'connect_error');
    expect(String(refused)).toMatch(/invalid credentials/i);

    // A player in a room on node B; the operator logs in on node A.
    const player = await env.connected(b);
    const created = await createRoom(player, 'Ann');
    const operator = admin(a, PASSWORD);
    const [rows] = (await waitFor(operator as never, 'all_sockets')) as [SocketRow[]];
    const row = rows.find((r) => r.id === player.id);
    expect(row).toMatchObject({ nsp: '/' });
    expect(row?.rooms).toContain(`room:${created.code}`);
  });
});
