import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointEntry } from '@kedge/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../../agent/src/api/types/core.ts';
import { type NetnsChild, netnsUnavailable } from '../../proxy/netns.ts';
import { NODE_IP, type NodeAndClient, nodeAndClient } from '../../proxy/topology.ts';

/**
 * The nft kernel fast path as an agent runs it: startEdgeDataPlane with KEDGE_KERNEL_FASTPATH=1 on
 * an address of its own (a network namespace this test makes), Services from an informer, endpoints
 * from its gossip table filled by another gossip agent. Traffic comes from a second namespace and
 * no userspace proxy runs, so every answer from a pod went through the kernel's DNAT.
 */

const EDGE_CHILD = join(process.cwd(), 'test/agent/node/edge-data-plane-child.ts');
const NETNS_CHILD = join(process.cwd(), 'test/proxy/netns-child.ts');
const PODS = ['10.244.0.2', '10.244.0.3', '10.244.0.4'];
const CLUSTER_IP = '10.96.0.20';

function nftUnavailable(): string | undefined {
  try {
    execFileSync('nft', ['--version'], { stdio: 'pipe' });
    return netnsUnavailable();
  } catch (err) {
    return `nft is not installed (apt-get install nftables): ${String(err)}`;
  }
}

const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'default', name: 'web' },
  spec: { type: 'ClusterIP', clusterIP: CLUSTER_IP, ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
};

function endpoints(ips: readonly string[]): EndpointEntry[] {
  return ips.map((ip) => ({
    namespace: 'default',
    service: 'web',
    portName: 'http',
    ip,
    port: 8080,
    protocol: 'TCP',
    ready: true,
  }));
}

function tally(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

const unavailable = nftUnavailable();
if (unavailable) console.warn(`skipping the nft fast path agent test: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('an agent programs the nft kernel fast path', () => {
  let topo: NodeAndClient;
  let agent: NetnsChild;
  let client: NetnsChild;
  let dataDir: string;

  const rules = () => topo.node.exec('nft', ['list', 'ruleset']);
  const fetchClusterIp = (count: number) =>
    client.call<string[]>('fetch', { host: CLUSTER_IP, port: 80, count });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kedge-nft-agent-'));
    topo = nodeAndClient(PODS);
    const pods = topo.node.spawnNode(NETNS_CHILD);
    for (const [i, ip] of PODS.entries()) await pods.call('backend', { name: `pod-${i}`, ip, port: 8080 });
    client = topo.client.spawnNode(NETNS_CHILD);
    agent = topo.node.spawnNode(EDGE_CHILD, [NODE_IP, dataDir]);
  }, 30_000);

  afterAll(async () => {
    await agent?.call('stop').catch((e: Error) => console.warn(`agent stop: ${e.message}`));
    topo?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts the fast path and DNATs the ClusterIP to the endpoints gossip announced', async () => {
    expect(await agent.call('start')).toEqual({ kernelFastPath: true });
    await agent.call('service', { service });
    await agent.call('endpoints', { endpoints: endpoints(PODS.slice(0, 2)) });
    // The informer debounces 20 ms and nft applies asynchronously: poll the kernel, not a clock.
    await expect.poll(rules, { timeout: 10_000 }).toMatch(/10\.244\.0\.3/);
    expect(rules()).toContain(CLUSTER_IP);
    const counts = tally(await fetchClusterIp(40));
    expect(Object.keys(counts).sort()).toEqual(['pod-0', 'pod-1']);
  }, 30_000);

  it('follows an endpoint change: new connections go to the new set only', async () => {
    await agent.call('endpoints', { endpoints: endpoints([PODS[2]!]) });
    await expect.poll(rules, { timeout: 10_000 }).not.toMatch(/10\.244\.0\.2\b/);
    expect(rules()).toMatch(/10\.244\.0\.4/);
    expect(tally(await fetchClusterIp(20))).toEqual({ 'pod-2': 20 });
  }, 30_000);

  it('follows a Service change from the informer (a new port)', async () => {
    await agent.call('service', {
      service: {
        ...service,
        spec: { ...service.spec, ports: [{ name: 'http', protocol: 'TCP', port: 8081, targetPort: 8080 }] },
      },
    });
    await expect.poll(rules, { timeout: 10_000 }).toMatch(/tcp \. 8081/);
    expect(await client.call<string[]>('fetch', { host: CLUSTER_IP, port: 8081, count: 3 })).toEqual([
      'pod-2',
      'pod-2',
      'pod-2',
    ]);
    expect(await fetchClusterIp(1)).toEqual([expect.stringMatching(/^ERR /)]);
  }, 30_000);

  it('removes every kedge rule when the agent stops', async () => {
    expect(rules()).toContain('table ip kedge');
    expect(await agent.call('stop')).toBe(true);
    expect(rules()).not.toContain('kedge');
    const after = await client.call<string[]>('fetch', { host: CLUSTER_IP, port: 8081, count: 1 });
    expect(after[0]).toMatch(/^ERR /);
  }, 30_000);
});
