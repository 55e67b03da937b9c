/**
 * A runnable gossip agent: one process, one GossipHost. Used by the multi-process tests and the
 * convergence benchmark, and handy for trying gossip by hand:
 *
 *   node agent/src/gossip/gossip-agent-process.ts <config.json>
 *
 * config.json: { nodeId, dataDir, listen: [multiaddr], members: [{nodeId, peerId, addresses}],
 *                timing?: {...}, preSharedKeyFile?: path }
 * stdin:  one JSON line per command: {"endpoints": [EndpointEntry...]}
 * stdout: one JSON line per event: ready {peerId, addresses}, member {...}, endpoints {view, at}
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { EndpointEntry } from '@kedge/proxy';
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
  host.addEventListener('endpoints', () => emit('endpoints', { view: Object.fromEntries(host.view()) }));
  await host.start();
  emit('ready', {
    peerId: identity.peerId,
    addresses: host.addresses(),
    view: Object.fromEntries(host.view()),
  });

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const cmd = JSON.parse(line) as { endpoints?: EndpointEntry[] };
    if (cmd.endpoints) host.setLocalEndpoints(cmd.endpoints);
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    lines.once('close', resolve);
  });
  await host.stop();
  return 0;
}

process.exitCode = await main();
