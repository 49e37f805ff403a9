// Renders deploy/haproxy.cfg.template for a list of nodes. As a script:
//   node deploy/haproxy-config.mjs --port 3000 --nodes 3 [--node-host 127.0.0.1] [--bind 0.0.0.0]
// prints the config for nodes node1..nodeN on PORT+1..PORT+N.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TEMPLATE = fileURLToPath(new URL('haproxy.cfg.template', import.meta.url));
const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** node1..nodeN on host:basePort+1..basePort+N, the layout `npm run cluster` starts. */
export function clusterNodes(count, basePort, host = '127.0.0.1') {
  return Array.from({ length: count }, (_, i) => ({ id: `node${i + 1}`, host, port: basePort + i + 1 }));
}

/** The HAProxy config for `nodes` ({ id, host, port }) behind `bind`:`port`. */
export function renderHaproxyConfig({ port, bind = '0.0.0.0', nodes }) {
  if (nodes.length === 0) throw new Error('at least one node is needed');
  for (const n of nodes) {
    if (!NODE_ID_PATTERN.test(n.id)) throw new Error(`bad node id "${n.id}"`);
  }
  const useServers = nodes
    .map((n) => `    use-server ${n.id} if { url_param(node) -m str ${n.id} }`)
    .join('\n');
  const servers = nodes.map((n) => `    server ${n.id} ${n.host}:${n.port} check cookie ${n.id}`).join('\n');
  return readFileSync(TEMPLATE, 'utf8')
    .replaceAll('{{BIND}}', bind)
    .replaceAll('{{PORT}}', String(port))
    .replace('{{USE_SERVERS}}', useServers)
    .replace('{{SERVERS}}', servers);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      nodes: { type: 'string', default: '3' },
      'node-host': { type: 'string', default: '127.0.0.1' },
      bind: { type: 'string', default: '0.0.0.0' },
    },
  });
  const port = Number(values.port);
  const count = Number(values.nodes);
  process.stdout.write(
    renderHaproxyConfig({ port, bind: values.bind, nodes: clusterNodes(count, port, values['node-host']) }),
  );
}
