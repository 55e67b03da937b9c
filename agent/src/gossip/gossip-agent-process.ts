/**
 * A runnable gossip agent: one process, one GossipHost. Used by the multi-process tests and the
 * convergence benchmark, and handy for trying gossip by hand:
 *
 *   node agent/src/gossip/gossip-agent-process.ts <config.json>
 *
 * config.json: { nodeId, dataDir, listen: [multiaddr], members: [{nodeId, peerId, addresses}],
 *                timing?: {...}, preSharedKeyFile?: path,
 *                proxy?: { services: [ProxyService], nodeAddresses: [ip] } }
 * With `proxy`, the process also runs this node's userspace ServiceProxy (loopback mode) fed by its
 * own gossip view: a node's whole service data plane, without any control plane.
 * stdin:  one JSON line per command: {"endpoints": [EndpointEntry...]}
 *         {"blockMs": n}   busy-loops n ms, as an overloaded or stuck agent would (for failure-detector tests)
 *         {"status": true} prints a status event
 * stdout: one JSON line per event: ready {peerId, addresses}, member {...}, endpoints {view, at},
 *         status {health (local health score), members (membership digest)}
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type EndpointEntry, type ProxyService, ServiceProxy } from '@kedge/proxy';
import { GossipError } from './gossip-error.ts';
import { type ClusterMember, GossipHost, type GossipTiming } from './gossip-host.ts';
import { loadOrCreateNodeIdentity } from './node-identity.ts';

interface ProcessConfig {
  nodeId: string;
  dataDir: string;
  listen: string[];
  members: ClusterMember[];
  timing?: Partial<GossipTiming>;
  preSharedKeyFile?: string;
  proxy?: { services: ProxyService[]; nodeAddresses: string[] };
}

function emit(event: string, body: object): void {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...body })}\n`);
}

async function main(): Promise<number> {
  const configPath = process.argv[2];
  if (!configPath) {
    console.error('usage: gossip-agent-process.ts <config.json>');
    return 2;
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as ProcessConfig;
  const identity = await loadOrCreateNodeIdentity(config.dataDir);
  if (identity instanceof GossipError) {
    console.error(identity.message);
    return 1;
  }
  const host = await GossipHost.create({
    nodeId: config.nodeId,
    identity,
    listen: config.listen,
    members: config.members,
    dataDir: config.dataDir,
    ...(config.timing ? { timing: config.timing } : {}),
    ...(config.preSharedKeyFile ? { preSharedKey: readFileSync(config.preSharedKeyFile) } : {}),
  });
  if (host instanceof GossipError) {
    console.error(host.message);
    return 1;
  }
  host.addEventListener('member', (e) => emit('member', (e as CustomEvent).detail as object));
  const proxy = config.proxy
    ? new ServiceProxy({
        clusterIpMode: 'loopback',
        nodeAddresses: config.proxy.nodeAddresses,
        drainMs: 1000,
      })
    : undefined;
  const reportProxyErrors = (errors: { message: string }[]) => {
    for (const e of errors) console.error(`kedge proxy: ${e.message}`);
  };
  host.addEventListener('endpoints', () => {
    emit('endpoints', { view: Object.fromEntries(host.view()) });
    void proxy?.setEndpoints(host.view()).then(reportProxyErrors);
  });
  await host.start();
  if (proxy && config.proxy) {
    reportProxyErrors(await proxy.setEndpoints(host.view()));
    reportProxyErrors(await proxy.setServices(config.proxy.services));
  }
  emit('ready', {
    peerId: identity.peerId,
    addresses: host.addresses(),
    view: Object.fromEntries(host.view()),
  });

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const cmd = JSON.parse(line) as { endpoints?: EndpointEntry[]; blockMs?: number; status?: boolean };
    if (cmd.endpoints) host.setLocalEndpoints(cmd.endpoints);
    if (cmd.status) emit('status', { health: host.health.score, members: host.membership.digest() });
    if (typeof cmd.blockMs === 'number') {
      const until = Date.now() + cmd.blockMs;
      while (Date.now() < until) {
        // Deliberately hog the event loop: nothing else in this process runs meanwhile.
      }
    }
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    lines.once('close', resolve);
  });
  await proxy?.close();
  await host.stop();
  return 0;
}

process.exitCode = await main();
