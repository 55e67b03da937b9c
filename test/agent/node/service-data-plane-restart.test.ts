import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type EndpointEntry, type EndpointView, ServiceProxy } from '@kedge/proxy';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../../agent/src/api/types/core.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import type { ClientWatch, ClusterClient } from '../../../agent/src/controllers/runtime/client.ts';
import type { GossipHost } from '../../../agent/src/gossip/gossip-host.ts';
import { LocalPods } from '../../../agent/src/node/local-pods.ts';
import type { NodeGossip } from '../../../agent/src/node/node-gossip.ts';
import { ServiceCacheFile } from '../../../agent/src/node/service-cache-file.ts';
import { runServiceDataPlane } from '../../../agent/src/node/service-data-plane.ts';
import { fetchName, httpBackend } from '../../proxy/backends.ts';
import { freePort, waitFor } from '../gossip/cluster-fixture.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const NODE_IP = '127.0.0.1';

function helloService(nodePort: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'hello', namespace: 'default', resourceVersion: '5' },
    spec: {
      type: 'NodePort',
      clusterIP: '10.96.0.10',
      selector: { app: 'hello' },
      ports: [{ port: 80, targetPort: 8080, nodePort, protocol: 'TCP' }],
    },
  } as Service;
}

/** An API that answers a list only once `answer` is called (until then it is "electing"). */
function slowApi(services: () => Service[]) {
  let open: () => void = () => {};
  const answered = new Promise<void>((resolve) => {
    open = resolve;
  });
  const client = {
    async list() {
      await answered;
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '9' }, items: services() };
    },
    async watch(): Promise<ClientWatch> {
      return { stop: () => {}, closed: new Promise(() => {}) };
    },
  } as unknown as ClusterClient;
  return { client, answer: () => open() };
}

/** Gossip with a fixed view (a remote node's endpoint) that records this node's announcements. */
function fakeGossip(view: EndpointView) {
  const announced: EndpointEntry[][] = [];
  const host = Object.assign(new EventTarget(), {
    view: () => view,
    membership: { status: () => 'alive' },
    setLocalEndpoints: (entries: readonly EndpointEntry[]) => announced.push([...entries]),
  });
  const gossip = {
    host: host as unknown as GossipHost,
    peerId: 'peer',
    address: `/ip4/${NODE_IP}/tcp/1`,
    setMembers: async () => {},
    stop: async () => {},
  } as NodeGossip;
  return { gossip, announced };
}

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'kedge-dataplane-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const backend = await httpBackend('pod-on-agent-3', '127.0.0.31');
  cleanups.push(() => backend.kill());
  const nodePort = await freePort(NODE_IP);
  const view: EndpointView = new Map([
    [
      'default/hello',
      [
        {
          portName: '',
          ip: backend.ip,
          port: backend.port,
          protocol: 'TCP',
          ready: true,
          nodeId: 'agent-3',
          local: false,
        },
      ],
    ],
  ]);
  const proxy = new ServiceProxy({ clusterIpMode: 'loopback', nodeAddresses: [NODE_IP], drainMs: 100 });
  cleanups.push(() => proxy.close());
  const stop = new AbortController();
  cleanups.push(() => stop.abort());
  return { dir, nodePort, view, proxy, signal: stop.signal };
}

describe('service data plane after an agent restart', () => {
  it('opens the NodePort from the saved Services while the API does not answer, and withdraws nothing', async () => {
    const { dir, nodePort, view, proxy, signal } = await setup();
    const cache = new ServiceCacheFile(dir, () => {});
    await cache.save([helloService(nodePort)]);
    const api = slowApi(() => [helloService(nodePort)]);
    const { gossip, announced } = fakeGossip(view);
    const pods = new LocalPods();
    runServiceDataPlane({
      client: api.client,
      nodeName: 'agent-1',
      gossip,
      pods,
      proxy,
      cache,
      announce: async () => undefined,
      signal,
      log: () => {},
    });
    await waitFor(() => proxy.listeners().size > 0, 2000, 'the NodePort listener');
    expect(await fetchName(NODE_IP, nodePort)).toBe('pod-on-agent-3');
    // The kubelet has not listed its pods: the persisted own entries must stay announced.
    expect(announced).toEqual([]);

    // The API answers and the kubelet lists no pods here: now "nothing local" is known, and said.
    api.answer();
    pods.replaceAll([] as Pod[]);
    await waitFor(() => announced.length > 0, 2000, 'the local announcement');
    expect(announced.at(-1)).toEqual([]);
    expect(await fetchName(NODE_IP, nodePort)).toBe('pod-on-agent-3');
  });

  it('saves the listed Services for the next start', async () => {
    const { dir, nodePort, view, proxy, signal } = await setup();
    const cache = new ServiceCacheFile(dir, () => {});
    const api = slowApi(() => [helloService(nodePort)]);
    api.answer();
    runServiceDataPlane({
      client: api.client,
      nodeName: 'agent-1',
      gossip: fakeGossip(view).gossip,
      pods: new LocalPods(),
      proxy,
      cache,
      announce: async () => undefined,
      signal,
      log: () => {},
    });
    await waitFor(() => proxy.listeners().size > 0, 2000, 'the NodePort listener');
    expect(await fetchName(NODE_IP, nodePort)).toBe('pod-on-agent-3');
    let saved: Service[] = [];
    for (let i = 0; i < 100 && saved.length === 0; i++) {
      saved = await cache.load();
      if (saved.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(saved.map((s) => s.metadata.name)).toEqual(['hello']);
  });

  it('reads a corrupt cache as empty and says how to clear it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kedge-svc-cache-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const logged: string[] = [];
    const cache = new ServiceCacheFile(dir, (m) => logged.push(m));
    expect(await cache.load()).toEqual([]);
    expect(logged).toEqual([]); // no file yet is normal
    await writeFile(cache.path, '{"services": 3');
    expect(await cache.load()).toEqual([]);
    expect(logged.join('\n')).toMatch(/delete it/);
    // Coalesced saves: the last list lands.
    await Promise.all([cache.save([helloService(30001)]), cache.save([helloService(30002)])]);
    const text = JSON.parse(await readFile(cache.path, 'utf8')) as { services: Service[] };
    expect(text.services.map((s) => s.spec?.ports?.[0]?.nodePort)).toEqual([30002]);
  });
});
