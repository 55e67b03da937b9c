import { join } from 'node:path';
import { NftFastPath, ProxyError, type ProxyService, type ServiceEndpoint } from '@kedge/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsChild, netnsUnavailable } from './netns.ts';
import { NODE_IP, type NodeAndClient, nodeAndClient } from './topology.ts';

const CHILD = join(process.cwd(), 'test/proxy/netns-child.ts');
const PODS = ['10.244.0.2', '10.244.0.3', '10.244.0.4'];
const CLUSTER_IP = '10.96.0.10';

function web(over: Partial<ProxyService> = {}): ProxyService {
  return {
    namespace: 'default',
    name: 'web',
    type: 'NodePort',
    clusterIP: CLUSTER_IP,
    ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080 }],
    sessionAffinity: 'None',
    ...over,
  };
}

function endpoints(ips: readonly string[], ready = true): Map<string, ServiceEndpoint[]> {
  return new Map([
    [
      'default/web',
      ips.map((ip) => ({
        portName: 'http',
        ip,
        port: 8080,
        protocol: 'TCP' as const,
        ready,
        nodeId: 'n1',
        local: true,
      })),
    ],
  ]);
}

function tally(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)('nftables kernel fast path in network namespaces', () => {
  let topo: NodeAndClient;
  let pods: NetnsChild;
  let client: NetnsChild;
  let fast: NftFastPath;

  beforeAll(async () => {
    topo = nodeAndClient(PODS);
    pods = topo.node.spawnNode(CHILD);
    client = topo.client.spawnNode(CHILD);
    for (const [i, ip] of PODS.entries()) await pods.call('backend', { name: `pod-${i}`, ip, port: 8080 });
    const started = await NftFastPath.start({ netns: topo.node.name });
    if (started instanceof ProxyError) throw started;
    fast = started;
  }, 20_000);

  afterAll(async () => {
    await fast?.stop();
    topo?.destroy();
  });

  const fetchFromClient = (count: number, host = CLUSTER_IP, port = 80) =>
    client.call<string[]>('fetch', { host, port, count });

  it('spreads ClusterIP traffic from another host over the ready endpoints only', async () => {
    expect(await fast.setServices([web()])).toEqual([]);
    const view = endpoints(PODS.slice(0, 3));
    view.get('default/web')![2] = { ...view.get('default/web')![2]!, ready: false };
    expect(await fast.setEndpoints(view)).toEqual([]);
    const counts = tally(await fetchFromClient(60));
    expect(Object.keys(counts).sort()).toEqual(['pod-0', 'pod-1']);
    expect(counts['pod-0']).toBeGreaterThan(10);
    expect(counts['pod-1']).toBeGreaterThan(10);
  }, 20_000);

  it('serves the NodePort on the node address and the ClusterIP to the node itself', async () => {
    expect(await fast.setEndpoints(endpoints(PODS))).toEqual([]);
    const viaNodePort = tally(await fetchFromClient(30, NODE_IP, 30080));
    expect(Object.keys(viaNodePort).sort()).toEqual(['pod-0', 'pod-1', 'pod-2']);
    const fromNode = await pods.call<string[]>('fetch', { host: CLUSTER_IP, port: 80, count: 5 });
    expect(fromNode.filter((n) => !n.startsWith('pod-'))).toEqual([]);
  }, 20_000);

  it('sends no new connection to a removed endpoint', async () => {
    expect(await fast.setEndpoints(endpoints([PODS[0]!, PODS[2]!]))).toEqual([]);
    expect(tally(await fetchFromClient(40))['pod-1']).toBeUndefined();
  }, 20_000);

  it('pins a client to one backend under ClientIP affinity', async () => {
    expect(await fast.setServices([web({ sessionAffinity: 'ClientIP' })])).toEqual([]);
    const names = new Set(await fetchFromClient(20));
    expect(names.size).toBe(1);
  }, 20_000);

  it('refuses at once when no endpoint is ready, and leaves no rule behind on stop', async () => {
    expect(await fast.setEndpoints(new Map())).toEqual([]);
    const started = Date.now();
    expect(await fetchFromClient(1)).toEqual(['ERR ECONNREFUSED']);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(topo.node.exec('nft', ['list', 'tables'])).toContain('table ip kedge');
    expect(await fast.stop()).toEqual([]);
    expect(topo.node.exec('nft', ['list', 'tables'])).not.toContain('kedge');
  }, 20_000);
});
