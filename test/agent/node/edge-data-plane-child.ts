/**
 * Runs inside a test's "node" network namespace (`ip netns exec <ns> node edge-data-plane-child.ts
 * <address> <dataDir>`): the agent's own edge data plane (startEdgeDataPlane, with
 * KEDGE_KERNEL_FASTPATH=1, Ingress off) fed by a Services informer over an in-process API store and
 * by this agent's gossip table, where a second gossip agent in the same process announces the
 * endpoints, as another node would. No userspace proxy runs here: whatever reaches a backend
 * through a ClusterIP went through the kernel's DNAT.
 *
 * stdin, one JSON line each, one answer line {id, result | error}:
 *   {id, op: 'start'}                          -> {kernelFastPath}
 *   {id, op: 'service', service}               -> creates or replaces a core/v1 Service
 *   {id, op: 'endpoints', endpoints}           -> the peer agent announces these EndpointEntries;
 *                                                 answers once this agent's table has them
 *   {id, op: 'stop'}                           -> stops the edge data plane (the agent's shutdown)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EndpointEntry } from '@kedge/proxy';
import { isStatusError } from '../../../agent/src/api/errors.ts';
import type { Service } from '../../../agent/src/api/types/core.ts';
import { SERVICES } from '../../../agent/src/controllers/runtime/client.ts';
import { systemClock } from '../../../agent/src/controllers/runtime/clock.ts';
import { InProcessClusterClient } from '../../../agent/src/controllers/runtime/store-client.ts';
import { GossipError } from '../../../agent/src/gossip/gossip-error.ts';
import { type EdgeDataPlane, startEdgeDataPlane } from '../../../agent/src/node/edge-data-plane.ts';
import { type NodeGossip, startNodeGossip } from '../../../agent/src/node/node-gossip.ts';
import { ObjectStore } from '../../../agent/src/store/index.ts';

const [address, dataDir] = process.argv.slice(2);
if (!address || !dataDir) throw new Error('usage: edge-data-plane-child.ts <address> <dataDir>');

const log = (message: string) => process.stderr.write(`${message}\n`);
const client = new InProcessClusterClient(new ObjectStore(), { clock: systemClock });
const stopping = new AbortController();
let agent: NodeGossip | undefined;
let peer: NodeGossip | undefined;
let edge: EdgeDataPlane | undefined;

async function gossipNode(nodeName: string, port: number): Promise<NodeGossip> {
  const dir = join(dataDir!, nodeName);
  mkdirSync(dir, { recursive: true });
  const g = await startNodeGossip({ nodeName, ip: address!, port, dataDir: dir, log });
  if (g instanceof GossipError) throw g;
  return g;
}

async function start(): Promise<{ kernelFastPath: boolean }> {
  const ns = await client.create(
    { group: '', resource: 'namespaces' },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  );
  if (isStatusError(ns)) throw new Error(ns.message);
  agent = await gossipNode('node-a', 7301);
  peer = await gossipNode('node-b', 7302);
  const members = [agent, peer].map((g, i) => ({
    nodeId: i === 0 ? 'node-a' : 'node-b',
    peerId: g.peerId,
    addresses: [g.address],
  }));
  await agent.setMembers(members);
  await peer.setMembers(members);
  edge = await startEdgeDataPlane({
    address: address!,
    apiPort: 6443,
    client,
    gossip: agent,
    signal: stopping.signal,
    log,
    env: { KEDGE_KERNEL_FASTPATH: '1', KEDGE_INGRESS_PORTS: 'off' },
  });
  return { kernelFastPath: edge.kernelFastPath };
}

async function putService(service: Service): Promise<string> {
  const name = service.metadata.name ?? '';
  const existing = await client.get(SERVICES, service.metadata.namespace ?? 'default', name);
  const written = isStatusError(existing)
    ? await client.create(SERVICES, service)
    : await client.update(SERVICES, {
        ...service,
        metadata: { ...service.metadata, resourceVersion: existing.metadata.resourceVersion },
      });
  if (isStatusError(written)) throw new Error(written.message);
  return written.metadata.resourceVersion ?? '';
}

async function announce(endpoints: EndpointEntry[]): Promise<true> {
  if (!agent || !peer) throw new Error('start first');
  peer.host.setLocalEndpoints(endpoints);
  const want = JSON.stringify(endpoints.map((e) => e.ip).sort());
  const deadline = Date.now() + 15_000;
  for (;;) {
    const seen = [...agent.host.view().values()].flat().filter((e) => e.nodeId === 'node-b');
    if (JSON.stringify(seen.map((e) => e.ip).sort()) === want) return true;
    if (Date.now() > deadline) throw new Error(`node-a's table never got ${want} from node-b`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Command =
  | { id: number; op: 'start' }
  | { id: number; op: 'service'; service: Service }
  | { id: number; op: 'endpoints'; endpoints: EndpointEntry[] }
  | { id: number; op: 'stop' };

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'start':
      return start();
    case 'service':
      return putService(cmd.service);
    case 'endpoints':
      return announce(cmd.endpoints);
    case 'stop':
      stopping.abort();
      await edge?.stop();
      await peer?.stop();
      await agent?.stop();
      return true;
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as Command;
  handle(cmd).then(
    (result) => process.stdout.write(`${JSON.stringify({ id: cmd.id, result })}\n`),
    (err: unknown) => process.stdout.write(`${JSON.stringify({ id: cmd.id, error: String(err) })}\n`),
  );
});
process.stdin.once('end', () => process.exit(0));
