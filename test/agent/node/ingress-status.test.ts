import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStatusError } from '../../../agent/src/api/errors.ts';
import type { KubeObject } from '../../../agent/src/api/types/meta.ts';
import { systemClock } from '../../../agent/src/controllers/runtime/clock.ts';
import { InProcessClusterClient } from '../../../agent/src/controllers/runtime/store-client.ts';
import { GossipError } from '../../../agent/src/gossip/gossip-error.ts';
import { INGRESSES, startEdgeDataPlane } from '../../../agent/src/node/edge-data-plane.ts';
import {
  IngressStatusKeeper,
  type IngressWithStatus,
  ingressStatusApiOfClient,
  type LoadBalancerIngress,
  nextLoadBalancerIngress,
  nodeLoadBalancerIngress,
} from '../../../agent/src/node/ingress-status.ts';
import { startNodeGossip } from '../../../agent/src/node/node-gossip.ts';
import { ObjectStore } from '../../../agent/src/store/index.ts';

describe('nextLoadBalancerIngress', () => {
  const a: LoadBalancerIngress = { ip: '10.0.0.1' };
  const b: LoadBalancerIngress = { ip: '10.0.0.2' };

  it('adds this node, keeps the others sorted by ip, and reports no change once it is in', () => {
    expect(nextLoadBalancerIngress([b], '10.0.0.1', a, new Set())).toEqual([a, b]);
    expect(nextLoadBalancerIngress([b, a], '10.0.0.1', a, new Set())).toBeUndefined();
  });

  it("replaces this node's older entry (new ports) and takes dead members' entries out", () => {
    const moved = nodeLoadBalancerIngress('10.0.0.1', { http: 8080, https: 8443 });
    expect(nextLoadBalancerIngress([a, b], '10.0.0.1', moved, new Set(['10.0.0.2']))).toEqual([moved]);
  });

  it('takes this node out when it no longer serves, and leaves hostname entries alone', () => {
    const named: LoadBalancerIngress = { hostname: 'lb.example' };
    expect(nextLoadBalancerIngress([a, named], '10.0.0.1', undefined, new Set())).toEqual([named]);
  });

  it('lists the ports only when they are not 80 and 443', () => {
    expect(nodeLoadBalancerIngress('10.0.0.1', { http: 80, https: 443 })).toEqual({ ip: '10.0.0.1' });
    expect(nodeLoadBalancerIngress('127.0.0.2', { http: 7000, https: 7100 }).ports).toEqual([
      { port: 7000, protocol: 'TCP' },
      { port: 7100, protocol: 'TCP' },
    ]);
  });
});

async function storeWithIngress(): Promise<InProcessClusterClient> {
  const client = new InProcessClusterClient(new ObjectStore(), { clock: systemClock });
  await client.create(
    { group: '', resource: 'namespaces' },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  );
  const created = await client.create(INGRESSES, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'default', name: 'site' },
    spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
  } as KubeObject);
  if (isStatusError(created)) throw created;
  return client;
}

async function statusIps(client: InProcessClusterClient): Promise<(string | undefined)[]> {
  const got = (await client.get(INGRESSES, 'default', 'site')) as IngressWithStatus;
  return (got.status?.loadBalancer?.ingress ?? []).map((e) => e.ip);
}

describe('IngressStatusKeeper', () => {
  it('two agents writing at once both end up in the list (a conflict is retried from the newer object)', async () => {
    const client = await storeWithIngress();
    const api = ingressStatusApiOfClient(client);
    const log: string[] = [];
    const keepers = ['10.0.0.2', '10.0.0.1'].map(
      (ip) => new IngressStatusKeeper(ip, { ip }, api, (m) => log.push(m)),
    );
    // Both read the same version; one write conflicts, as two agents racing would.
    const stale = (await client.get(INGRESSES, 'default', 'site')) as IngressWithStatus;
    await Promise.all(keepers.map((k) => k.sync([stale], new Set())));
    expect((await statusIps(client)).length).toBe(1);
    // What the informer does next: hand over the newer object.
    for (let round = 0; round < 3; round++) {
      const fresh = (await client.get(INGRESSES, 'default', 'site')) as IngressWithStatus;
      for (const k of keepers) await k.sync([fresh], new Set());
    }
    expect(await statusIps(client)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(log).toEqual([]);
  });

  it("a survivor takes a dead member's entry out; a stopping agent withdraws its own", async () => {
    const client = await storeWithIngress();
    const api = ingressStatusApiOfClient(client);
    const a = new IngressStatusKeeper('10.0.0.1', { ip: '10.0.0.1' }, api, () => {});
    const b = new IngressStatusKeeper('10.0.0.2', { ip: '10.0.0.2' }, api, () => {});
    const current = async () => (await client.get(INGRESSES, 'default', 'site')) as IngressWithStatus;
    await a.sync([await current()], new Set());
    await b.sync([await current()], new Set());
    expect(await statusIps(client)).toEqual(['10.0.0.1', '10.0.0.2']);
    await a.sync([await current()], new Set(['10.0.0.2']));
    expect(await statusIps(client)).toEqual(['10.0.0.1']);
    await a.withdraw();
    expect(await statusIps(client)).toEqual([]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the edge data plane writes Ingress status', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("puts the agent's address and Ingress ports in status, and takes them out on stop", async () => {
    const client = await storeWithIngress();
    const dataDir = await mkdtemp(join(tmpdir(), 'kedge-ingress-status-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const gossip = await startNodeGossip({
      nodeName: 'node-a',
      ip: '127.0.0.1',
      port: await freePort(),
      dataDir,
      log: () => {},
    });
    if (gossip instanceof GossipError) throw gossip;
    cleanups.push(() => gossip.stop());
    const stopping = new AbortController();
    const [http, https] = [await freePort(), await freePort()];
    const log: string[] = [];
    const edge = await startEdgeDataPlane({
      address: '127.0.0.1',
      apiPort: 6443,
      client,
      gossip,
      ingressStatusApi: ingressStatusApiOfClient(client),
      signal: stopping.signal,
      log: (m) => log.push(m),
      env: { KEDGE_INGRESS_PORTS: `${http},${https}` },
    });
    let stopped = false;
    cleanups.push(async () => {
      stopping.abort();
      if (!stopped) await edge.stop();
    });
    expect(edge.ingressPorts).toEqual({ http, https });
    const status = async () =>
      ((await client.get(INGRESSES, 'default', 'site')) as IngressWithStatus).status?.loadBalancer?.ingress;
    await expect.poll(status, { timeout: 5000 }).toEqual([
      {
        ip: '127.0.0.1',
        ports: [
          { port: http, protocol: 'TCP' },
          { port: https, protocol: 'TCP' },
        ],
      },
    ]);
    stopping.abort();
    stopped = true;
    await edge.stop();
    expect(await status()).toEqual([]);
    expect(log.filter((m) => m.includes('status'))).toEqual([]);
  });
});
